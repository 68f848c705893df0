// The FFmpeg headers RoomRecorder uses, plus inline helpers for the macros Swift cannot import.
#pragma once
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/avutil.h>
#include <libavutil/hwcontext.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

/// AVERROR(e) for a POSIX errno value.
static inline int rr_averror(int posixError) { return AVERROR(posixError); }
/// AVERROR_EOF.
static inline int rr_averror_eof(void) { return AVERROR_EOF; }
/// AV_NOPTS_VALUE.
static inline int64_t rr_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_CH_LAYOUT_STEREO as an AVChannelLayout.
static inline AVChannelLayout rr_stereo_layout(void) { AVChannelLayout layout = AV_CHANNEL_LAYOUT_STEREO; return layout; }
/// AV_CODEC_FLAG_GLOBAL_HEADER.
static inline int rr_codec_flag_global_header(void) { return AV_CODEC_FLAG_GLOBAL_HEADER; }
/// AVFMT_GLOBALHEADER.
static inline int rr_fmt_globalheader(void) { return AVFMT_GLOBALHEADER; }
/// AVFMT_NOFILE.
static inline int rr_fmt_nofile(void) { return AVFMT_NOFILE; }
/// FF_PROFILE_H264_HIGH.
static inline int rr_profile_h264_high(void) { return FF_PROFILE_H264_HIGH; }
/// FF_PROFILE_AAC_LOW.
static inline int rr_profile_aac_low(void) { return FF_PROFILE_AAC_LOW; }
/// AV_CH_LAYOUT_MONO as an AVChannelLayout.
static inline AVChannelLayout rr_mono_layout(void) { AVChannelLayout layout = AV_CHANNEL_LAYOUT_MONO; return layout; }
/// AVERROR_INVALIDDATA.
static inline int rr_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
