// GStreamer webrtcbin helpers for Swift: wrappers for the variadic calls (g_signal_emit_by_name, g_object_get/set,
// gst_structure_get) and macros (GST_BUFFER_PTS, G_CALLBACK, casts) that Swift cannot import.
// Needs only gstreamer-1.0, gstreamer-app-1.0, gstreamer-sdp-1.0, gstreamer-video-1.0 (no gst/webrtc headers,
// so no libgstreamer-plugins-bad1.0-dev); the webrtc types are reached through GType at run time.
#pragma once
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <dlfcn.h>
#include <string.h>

// ---- GstWebRTCSessionDescription: public struct {GstWebRTCSDPType type; GstSDPMessage *sdp;} ----
typedef struct { int type; GstSDPMessage *sdp; } RRSessionDescription;
enum { RR_SDP_OFFER = 1, RR_SDP_PRANSWER = 2, RR_SDP_ANSWER = 3, RR_SDP_ROLLBACK = 4 };

// ---- typed signal connections (g_signal_connect/G_CALLBACK are macros) ----
typedef void (*RRElementCallback)(GstElement *element, gpointer user_data);              // on-negotiation-needed
typedef void (*RRPadCallback)(GstElement *element, GstPad *pad, gpointer user_data);     // pad-added
typedef void (*RRIceCandidateCallback)(GstElement *element, guint mline, const gchar *candidate, gpointer user_data);
typedef void (*RRNotifyCallback)(GObject *object, GParamSpec *pspec, gpointer user_data); // notify::<property>
typedef void (*RRFeedbackCallback)(GObject *session, guint type, guint fbtype, guint sender_ssrc, guint media_ssrc,
                                   GstBuffer *fci, gpointer user_data);                   // RTPSession on-feedback-rtcp
typedef void (*RRBufferCallback)(GObject *object, GstBuffer *buffer, gpointer user_data); // RTPSession on-receiving-rtcp
typedef void (*RRDestroy)(gpointer user_data);

#define RR_CONNECT(name, cbtype)                                                                                  \
  static inline gulong name(gpointer instance, const char *detailed_signal, cbtype cb, gpointer user_data,      \
                            RRDestroy destroy) {                                                               \
    return g_signal_connect_data(instance, detailed_signal, G_CALLBACK(cb), user_data,                          \
                                 (GClosureNotify)(void (*)(void))destroy, (GConnectFlags)0);                    \
  }
RR_CONNECT(rr_connect_element, RRElementCallback)
RR_CONNECT(rr_connect_pad, RRPadCallback)
RR_CONNECT(rr_connect_ice_candidate, RRIceCandidateCallback)
RR_CONNECT(rr_connect_notify, RRNotifyCallback)
RR_CONNECT(rr_connect_feedback, RRFeedbackCallback)
RR_CONNECT(rr_connect_buffer, RRBufferCallback)
#undef RR_CONNECT

// ---- properties (g_object_get/set are variadic) ----
// Any property from its string form: enums by nick ("max-bundle"), booleans, numbers, caps strings.
static inline void rr_set(gpointer obj, const char *prop, const char *value) { gst_util_set_object_arg((GObject *)obj, prop, value); }
static inline gint rr_get_enum(gpointer obj, const char *prop) { gint v = 0; g_object_get(obj, prop, &v, NULL); return v; }
// Nick of an enum property's current value ("connected", "complete", ...); static string, do not free.
static inline const char *rr_get_enum_nick(gpointer obj, const char *prop) {
  GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(obj), prop);
  if (!ps || !G_IS_PARAM_SPEC_ENUM(ps)) return NULL;
  GEnumValue *ev = g_enum_get_value(G_PARAM_SPEC_ENUM(ps)->enum_class, rr_get_enum(obj, prop));
  return ev ? ev->value_nick : NULL;
}
// Object-valued property (transfer full: g_object_unref / gst_object_unref it).
static inline gpointer rr_get_object(gpointer obj, const char *prop) { gpointer v = NULL; g_object_get(obj, prop, &v, NULL); return v; }

// ---- webrtcbin action signals (g_signal_emit_by_name is variadic) ----
// The promise is not consumed: the creator keeps its ref (usually dropped with gst_promise_unref in the change func).
static inline void rr_webrtc_create_offer(GstElement *w, GstPromise *p) { g_signal_emit_by_name(w, "create-offer", NULL, p); }
static inline void rr_webrtc_create_answer(GstElement *w, GstPromise *p) { g_signal_emit_by_name(w, "create-answer", NULL, p); }
static inline void rr_webrtc_add_ice_candidate(GstElement *w, guint mline, const char *candidate) {
  g_signal_emit_by_name(w, "add-ice-candidate", mline, candidate);
}
// pad == NULL: stats for everything. Reply structure: one nested GstStructure per stats object.
static inline void rr_webrtc_get_stats(GstElement *w, GstPad *pad, GstPromise *p) { g_signal_emit_by_name(w, "get-stats", pad, p); }

// Parse SDP text and apply it as local or remote description. p may be NULL. FALSE if the SDP does not parse.
static inline gboolean rr_webrtc_set_description(GstElement *w, gboolean remote, int sdp_type, const char *sdp_text, GstPromise *p) {
  GstSDPMessage *msg = NULL;
  gst_sdp_message_new(&msg);
  if (gst_sdp_message_parse_buffer((const guint8 *)sdp_text, (guint)strlen(sdp_text), msg) != GST_SDP_OK || msg->medias->len == 0) {
    gst_sdp_message_free(msg);
    return FALSE;
  }
  RRSessionDescription desc = { sdp_type, msg };     // webrtcbin copies it during the emission
  g_signal_emit_by_name(w, remote ? "set-remote-description" : "set-local-description", &desc, p);
  gst_sdp_message_free(msg);
  return TRUE;
}

// From a replied create-offer/create-answer promise: the description under "offer"/"answer" (borrowed, lives as
// long as the promise), or NULL if the reply holds an error instead.
static inline const RRSessionDescription *rr_promise_description(GstPromise *p, const char *field) {
  if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) return NULL;   // returns at once inside a change func
  const GstStructure *reply = gst_promise_get_reply(p);
  const GValue *v = reply ? gst_structure_get_value(reply, field) : NULL;
  return (v && G_VALUE_HOLDS_BOXED(v)) ? (const RRSessionDescription *)g_value_get_boxed(v) : NULL;
}
// Error text of a replied promise ("error" field, a GError), or NULL. Borrowed.
static inline const char *rr_promise_error(GstPromise *p) {
  const GstStructure *reply = gst_promise_get_reply(p);
  const GValue *v = reply ? gst_structure_get_value(reply, "error") : NULL;
  const GError *e = (v && G_VALUE_HOLDS(v, G_TYPE_ERROR)) ? (const GError *)g_value_get_boxed(v) : NULL;
  return e ? e->message : NULL;
}
static inline void rr_webrtc_set_local(GstElement *w, const RRSessionDescription *d, GstPromise *p) {
  g_signal_emit_by_name(w, "set-local-description", d, p);
}
// SDP text of a description (g_free it).
static inline gchar *rr_description_text(const RRSessionDescription *d) { return d ? gst_sdp_message_as_text(d->sdp) : NULL; }
// "local-description" (pending favoured over current): after ice-gathering-state == complete it carries every
// a=candidate line, i.e. a complete non-trickle offer/answer. g_free the result; NULL if none yet.
static inline gchar *rr_webrtc_local_sdp(GstElement *w) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_PARAM_SPEC_VALUE_TYPE(g_object_class_find_property(G_OBJECT_GET_CLASS(w), "local-description")));
  g_object_get_property(G_OBJECT(w), "local-description", &v);
  gchar *text = rr_description_text((const RRSessionDescription *)g_value_get_boxed(&v));
  g_value_unset(&v);
  return text;
}

// add-transceiver: direction by nick ("sendonly", "recvonly", ...); caps may be NULL (not consumed).
// Returns the GstWebRTCRTPTransceiver with a ref the caller owns (gst_object_unref).
static inline gpointer rr_webrtc_add_transceiver(GstElement *w, const char *direction, GstCaps *caps) {
  GEnumClass *k = g_type_class_ref(g_type_from_name("GstWebRTCRTPTransceiverDirection"));
  GEnumValue *ev = k ? g_enum_get_value_by_nick(k, direction) : NULL;
  gint dir = ev ? ev->value : 0;
  if (k) g_type_class_unref(k);
  gpointer trans = NULL;
  g_signal_emit_by_name(w, "add-transceiver", dir, caps, &trans);
  return trans;
}

// Restrict libnice host candidates to one local address (libnice leaves out loopback unless told). Call before
// set-local-description. libnice.so.10 is already loaded by the webrtc plugin, so no libnice-dev is needed.
static inline gboolean rr_webrtc_restrict_ice_to(GstElement *w, const char *ip) {
  GObject *ice = (GObject *)rr_get_object(w, "ice-agent");
  if (!ice) return FALSE;
  gboolean ok = FALSE;
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
    GObject *agent = (GObject *)rr_get_object(ice, "agent");
    void *lib = dlopen("libnice.so.10", RTLD_NOW | RTLD_NOLOAD);
    void *(*addr_new)(void) = lib ? (void *(*)(void))dlsym(lib, "nice_address_new") : NULL;
    gboolean (*addr_set)(void *, const char *) = lib ? (gboolean(*)(void *, const char *))dlsym(lib, "nice_address_set_from_string") : NULL;
    gboolean (*add_local)(void *, void *) = lib ? (gboolean(*)(void *, void *))dlsym(lib, "nice_agent_add_local_address") : NULL;
    void (*addr_free)(void *) = lib ? (void (*)(void *))dlsym(lib, "nice_address_free") : NULL;
    if (agent && addr_new && addr_set && add_local && addr_free) {
      void *a = addr_new();
      ok = addr_set(a, ip) && add_local(agent, a);
      addr_free(a);
    }
    if (lib) dlclose(lib);
    if (agent) g_object_unref(agent);
  }
  g_object_unref(ice);
  return ok;
}

// webrtcbin's internal rtpbin (transfer full) and its RTPSession object for a session id (0 with max-bundle),
// which has the "on-feedback-rtcp" signal. Sessions exist only after negotiation. Both: unref when done.
static inline GstElement *rr_webrtc_rtpbin(GstElement *w) {
  GstIterator *it = gst_bin_iterate_elements(GST_BIN(w));
  GValue v = G_VALUE_INIT;
  GstElement *found = NULL;
  while (!found && gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    GstElement *e = (GstElement *)g_value_get_object(&v);
    GstElementFactory *f = gst_element_get_factory(e);   // NULL for webrtcbin's own sub-bins
    if (f && strcmp(GST_OBJECT_NAME(f), "rtpbin") == 0) found = (GstElement *)gst_object_ref(e);
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  return found;
}
static inline GObject *rr_rtpbin_internal_session(GstElement *rtpbin, guint session_id) {
  GObject *s = NULL;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session_id, &s);
  return s;
}

// ---- keyframes ----
// Subscriber: ask the remote sender for a keyframe. Pushed upstream from the depayloader's sink pad, rtpsession
// turns it into RTCP FIR (all_headers and "ccm fir" negotiated) or PLI.
static inline gboolean rr_request_keyframe(GstElement *depayloader, gboolean all_headers) {
  return gst_element_send_event(depayloader, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, all_headers, 0));
}
// Publisher: in a GST_PAD_PROBE_TYPE_EVENT_UPSTREAM probe on appsrc's src pad, TRUE when the remote asked for a
// keyframe (PLI/FIR arrive as an upstream GstForceKeyUnit event).
static inline gboolean rr_probe_is_force_key_unit(GstPadProbeInfo *info) {
  GstEvent *e = GST_PAD_PROBE_INFO_EVENT(info);
  return e && gst_video_event_is_force_key_unit(e);
}

// ---- buffers, casts, constants (macros in C) ----
static inline GstClockTime rr_clock_time_none(void) { return GST_CLOCK_TIME_NONE; }
static inline GstClockTime rr_second(void) { return GST_SECOND; }
static inline GstClockTime rr_buffer_pts(GstBuffer *b) { return GST_BUFFER_PTS(b); }
static inline GstClockTime rr_buffer_dts(GstBuffer *b) { return GST_BUFFER_DTS(b); }
static inline GstClockTime rr_buffer_duration(GstBuffer *b) { return GST_BUFFER_DURATION(b); }
static inline gboolean rr_buffer_is_delta(GstBuffer *b) { return GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT); }
// One encoded frame into appsrc (copied). pts may be GST_CLOCK_TIME_NONE with appsrc do-timestamp=true.
static inline GstFlowReturn rr_app_src_push(GstElement *appsrc, const void *data, gsize size, GstClockTime pts,
                                            GstClockTime duration, gboolean keyframe) {
  GstBuffer *b = gst_buffer_new_memdup(data, size);
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DTS(b) = pts;   // no B-frames in WebRTC H.264
  GST_BUFFER_DURATION(b) = duration;
  if (!keyframe) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
  return gst_app_src_push_buffer(GST_APP_SRC(appsrc), b);   // takes the buffer
}
static inline GstBin *rr_bin(GstElement *e) { return GST_BIN(e); }
static inline GstAppSink *rr_app_sink(GstElement *e) { return GST_APP_SINK(e); }
static inline GstAppSrc *rr_app_src(GstElement *e) { return GST_APP_SRC(e); }
static inline const char *rr_object_name(gpointer o) { return GST_OBJECT_NAME(o); }   // borrowed

// ---- get-stats reply: nested structures named "outbound-rtp", "remote-inbound-rtp", "inbound-rtp", ... ----
// The n-th (0-based) nested stats structure with this name, optionally with kind == "video"/"audio". Borrowed.
static inline const GstStructure *rr_stats_find(const GstStructure *stats, const char *name, const char *kind, guint nth) {
  for (gint i = 0; i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v)) continue;
    const GstStructure *s = gst_value_get_structure(v);
    if (!gst_structure_has_name(s, name)) continue;
    if (kind && g_strcmp0(gst_structure_get_string(s, "kind"), kind) != 0) continue;
    if (nth-- == 0) return s;
  }
  return NULL;
}

// ---- the receiving side ----
// A bin from a pipeline description whose unlinked pads are ghosted ("depay ! appsink"), or NULL with the error
// text in *error (g_free it).
static inline GstElement *rr_parse_bin(const char *description, gchar **error) {
  GError *e = NULL;
  GstElement *bin = gst_parse_bin_from_description(description, TRUE, &e);
  if (e) { *error = g_strdup(e->message); g_error_free(e); if (bin) gst_object_unref(bin); return NULL; }
  return bin;
}
// A string field of a pad's current caps' first structure (g_free it), or NULL.
static inline gchar *rr_pad_caps_field(GstPad *pad, const char *field) {
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps) return NULL;
  const gchar *value = gst_structure_get_string(gst_caps_get_structure(caps, 0), field);
  gchar *copy = g_strdup(value);
  gst_caps_unref(caps);
  return copy;
}
// The media id (SDP a=mid) of the transceiver behind one of webrtcbin's pads (g_free it), or NULL.
static inline gchar *rr_pad_mid(GstPad *pad) {
  GObject *transceiver = (GObject *)rr_get_object(pad, "transceiver");
  if (!transceiver) return NULL;
  gchar *mid = NULL;
  g_object_get(transceiver, "mid", &mid, NULL);
  g_object_unref(transceiver);
  return mid;
}
// Waits for a promise from a thread that is not webrtcbin's: TRUE when replied without an error.
static inline gboolean rr_promise_wait_ok(GstPromise *p) {
  return gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED && rr_promise_error(p) == NULL;
}
static inline GstElement *rr_bin_child(GstElement *bin, const char *name) { return gst_bin_get_by_name(GST_BIN(bin), name); }
// The receive side's numbers for the first audio and the first video track, from one get-stats (waits for the
// reply: not on webrtcbin's own thread). `found` is FALSE for a kind with no track yet. webrtcbin 1.22 labels
// every bundled inbound stream "video", so the kind is told by the RTP clock rate instead (48 kHz: audio).
typedef struct { gboolean found; guint64 received; gint64 lost; gdouble jitter; } RRInbound;
static inline void rr_webrtc_inbound_stats(GstElement *w, RRInbound *audio, RRInbound *video) {
  audio->found = video->found = FALSE;
  GstPromise *p = gst_promise_new();
  rr_webrtc_get_stats(w, NULL, p);
  if (gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure *reply = gst_promise_get_reply(p);
    for (guint n = 0; reply; n++) {
      const GstStructure *s = rr_stats_find(reply, "inbound-rtp", NULL, n);
      if (!s) break;
      const GValue *source = gst_structure_get_value(s, "gst-rtpsource-stats");
      gint rate = 0;
      if (!source || !GST_VALUE_HOLDS_STRUCTURE(source) || !gst_structure_get_int(gst_value_get_structure(source), "clock-rate", &rate)) continue;
      RRInbound *into = rate == 48000 ? audio : video;
      if (into->found) continue;
      into->found = gst_structure_get_uint64(s, "packets-received", &into->received);
      if (!gst_structure_get_int64(s, "packets-lost", &into->lost)) into->lost = 0;
      if (!gst_structure_get_double(s, "jitter", &into->jitter)) into->jitter = 0;
    }
  }
  gst_promise_unref(p);
}

// ---- the publishing side ----
// A pipeline from a description ("appsrc ! pay ! webrtcbin name=w ..."), or NULL with the error text in *error
// (g_free it).
static inline GstElement *rr_parse_launch(const char *description, gchar **error) {
  GError *e = NULL;
  GstElement *pipeline = gst_parse_launch(description, &e);
  if (e) { *error = g_strdup(e->message); g_error_free(e); if (pipeline) gst_object_unref(pipeline); return NULL; }
  return pipeline;
}
// Sets the direction ("sendonly", ...) of the transceiver behind one of webrtcbin's sink pads ("sink_0") and, if
// given, the codec it offers (caps text, such as "application/x-rtp,media=video,encoding-name=H264,..."), so the
// offer says so before the first buffer has negotiated anything. FALSE if there is no such pad.
static inline gboolean rr_webrtc_sink_transceiver(GstElement *w, const char *pad_name, const char *direction, const char *codec) {
  GstPad *pad = gst_element_get_static_pad(w, pad_name);
  if (!pad) return FALSE;
  GObject *transceiver = (GObject *)rr_get_object(pad, "transceiver");
  if (transceiver) {
    gst_util_set_object_arg(transceiver, "direction", direction);
    if (codec) gst_util_set_object_arg(transceiver, "codec-preferences", codec);
    g_object_unref(transceiver);
  }
  gst_object_unref(pad);
  return transceiver != NULL;
}
// Calls `wanted(user_data)` whenever a receiver asks the sender behind `appsrc` for a keyframe: RTCP PLI and FIR
// reach it as an upstream GstForceKeyUnit event through the payloader. FALSE if appsrc has no src pad.
typedef void (*RRKeyframeWanted)(gpointer user_data);
typedef struct { RRKeyframeWanted wanted; gpointer user_data; } RRKeyframeProbe;
static inline GstPadProbeReturn rr_keyframe_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  (void)pad;
  GstEvent *e = GST_PAD_PROBE_INFO_EVENT(info);
  if (e && gst_video_event_is_force_key_unit(e)) { RRKeyframeProbe *p = (RRKeyframeProbe *)data; p->wanted(p->user_data); }
  return GST_PAD_PROBE_OK;
}
static inline gboolean rr_on_keyframe_request(GstElement *appsrc, RRKeyframeWanted wanted, gpointer user_data) {
  GstPad *pad = gst_element_get_static_pad(appsrc, "src");
  if (!pad) return FALSE;
  RRKeyframeProbe *p = g_new0(RRKeyframeProbe, 1);
  p->wanted = wanted;
  p->user_data = user_data;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, rr_keyframe_probe, p, g_free);
  gst_object_unref(pad);
  return TRUE;
}
// The bitrate of a REMB message (RTCP PSFB FMT 15, "REMB" in its FCI: 6-bit exponent, 18-bit mantissa), in bits
// per second, or 0 if the feedback is not a REMB.
static inline guint64 rr_remb_bitrate(guint type, guint fbtype, GstBuffer *fci) {
  if (type != 206 || fbtype != 15 || !fci) return 0;
  GstMapInfo map;
  if (!gst_buffer_map(fci, &map, GST_MAP_READ)) return 0;
  guint64 bitrate = 0;
  if (map.size >= 8 && memcmp(map.data, "REMB", 4) == 0) {
    guint exponent = map.data[5] >> 2;
    guint64 mantissa = ((guint64)(map.data[5] & 0x03) << 16) | ((guint64)map.data[6] << 8) | map.data[7];
    bitrate = mantissa << exponent;
  }
  gst_buffer_unmap(fci, &map);
  return bitrate;
}
// A data channel on the connection (call before the offer, so it has its m=application): the
// GstWebRTCDataChannel with a reference the caller owns (g_object_unref), or NULL. Ordered and reliable.
static inline GObject *rr_webrtc_create_data_channel(GstElement *w, const char *label) {
  GObject *channel = NULL;
  g_signal_emit_by_name(w, "create-data-channel", label, NULL, &channel);
  return channel;
}
// Adds a TURN server (`turn://user:password@host:port?transport=udp`) before the offer; FALSE if webrtcbin refuses it.
static inline gboolean rr_webrtc_add_turn_server(GstElement *w, const char *uri) {
  gboolean added = FALSE;
  g_signal_emit_by_name(w, "add-turn-server", uri, &added);
  return added;
}
// Sends a text message on an open data channel.
static inline void rr_data_channel_send_string(GObject *channel, const char *text) { g_signal_emit_by_name(channel, "send-string", text); }
