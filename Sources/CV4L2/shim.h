// Linux device headers: V4L2 (with the ioctl request numbers as functions, since Swift cannot import the
// _IOR/_IOWR macros) and netlink, for the kernel's device events.
#pragma once
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <sys/ioctl.h>
#include <linux/netlink.h>

static inline unsigned long rr_vidioc_querycap(void) { return VIDIOC_QUERYCAP; }
static inline unsigned long rr_vidioc_enum_fmt(void) { return VIDIOC_ENUM_FMT; }
static inline unsigned long rr_vidioc_enum_framesizes(void) { return VIDIOC_ENUM_FRAMESIZES; }
static inline unsigned long rr_vidioc_enum_frameintervals(void) { return VIDIOC_ENUM_FRAMEINTERVALS; }
/// ioctl with a pointer argument (Swift cannot call the variadic ioctl).
static inline int rr_ioctl(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
static inline unsigned long rr_vidioc_s_fmt(void) { return VIDIOC_S_FMT; }
static inline unsigned long rr_vidioc_s_parm(void) { return VIDIOC_S_PARM; }
static inline unsigned long rr_vidioc_reqbufs(void) { return VIDIOC_REQBUFS; }
static inline unsigned long rr_vidioc_querybuf(void) { return VIDIOC_QUERYBUF; }
static inline unsigned long rr_vidioc_qbuf(void) { return VIDIOC_QBUF; }
static inline unsigned long rr_vidioc_dqbuf(void) { return VIDIOC_DQBUF; }
static inline unsigned long rr_vidioc_streamon(void) { return VIDIOC_STREAMON; }
static inline unsigned long rr_vidioc_streamoff(void) { return VIDIOC_STREAMOFF; }
static inline unsigned long rr_vidioc_queryctrl(void) { return VIDIOC_QUERYCTRL; }
static inline unsigned long rr_vidioc_s_ctrl(void) { return VIDIOC_S_CTRL; }
/// Asks VIDIOC_QUERYCTRL for the control after the given id.
static inline unsigned int rr_ctrl_flag_next_ctrl(void) { return V4L2_CTRL_FLAG_NEXT_CTRL; }
/// The fourcc code of four characters.
static inline unsigned int rr_fourcc(char a, char b, char c, char d) { return v4l2_fourcc(a, b, c, d); }

// libv4l2 (the fallback for cameras whose formats only it can convert): its open and ioctl are variadic.
static inline int rr_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int rr_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
