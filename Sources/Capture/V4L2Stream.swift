import CV4L2
import Foundation
import RecorderCore

/// Frames streaming from a camera, read one at a time. The bytes handed to `next`'s body are the camera's own
/// buffer: valid only during the call, then given back to the driver.
public protocol CameraStream: AnyObject {
    /// Waits up to `timeout` seconds for the next frame and hands its bytes and capture instant to `body`;
    /// false on a timeout. Throws when the camera is gone (ENODEV) or fails.
    func next(timeout: Double, _ body: (UnsafeRawBufferPointer, MonotonicInstant) throws -> Void) throws -> Bool
    /// Stops streaming and gives back the buffers.
    func stop()
    /// Bytes from one line of a raw picture to the next (0: no padding).
    var bytesPerLine: Int { get }
}

/// Memory-mapped V4L2 streaming: the mode set (VIDIOC_S_FMT, VIDIOC_S_PARM), a ring of four buffers mapped and
/// queued, VIDIOC_STREAMON; each frame waited for with poll(2), dequeued, handed over and queued again. Buffer
/// timestamps are the kernel's CLOCK_MONOTONIC capture instants, which is the pipeline's clock.
public final class V4L2Stream: CameraStream {
    private let driver: V4L2Driver
    private let fd: Int32
    private let path: String
    private var buffers: [(start: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false
    private var closed = false
    public private(set) var bytesPerLine = 0

    /// Opens `path` through `driver` (the kernel's by default) and starts streaming in `mode`.
    public init(path: String, mode: CameraMode, driver: V4L2Driver = V4L2Kernel()) throws(V4L2Error) {
        self.path = path
        self.driver = driver
        fd = driver.open(path)
        guard fd >= 0 else { throw V4L2Error(operation: "open", path: path, code: errno) }
        do {
            try configure(mode)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    private func call(_ request: UInt, _ argument: UnsafeMutableRawPointer, _ name: String) throws(V4L2Error) {
        var result: Int32
        repeat { result = driver.ioctl(fd, request, argument) } while result < 0 && errno == EINTR
        guard result == 0 else { throw V4L2Error(operation: name, path: path, code: errno) }
    }

    private func configure(_ mode: CameraMode) throws(V4L2Error) {
        let code = Array(mode.pixelFormat.utf8.map { CChar(bitPattern: $0) }) + [32, 32, 32, 32]
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(mode.width)
        format.fmt.pix.height = UInt32(mode.height)
        format.fmt.pix.pixelformat = rr_fourcc(code[0], code[1], code[2], code[3])
        format.fmt.pix.field = V4L2_FIELD_ANY.rawValue
        try call(rr_vidioc_s_fmt(), &format, "VIDIOC_S_FMT(\(mode))")
        guard format.fmt.pix.width == UInt32(mode.width), format.fmt.pix.height == UInt32(mode.height),
              format.fmt.pix.pixelformat == rr_fourcc(code[0], code[1], code[2], code[3]) else {
            throw V4L2Error(operation: "VIDIOC_S_FMT(\(mode)): the driver gave \(V4L2Device.fourcc(format.fmt.pix.pixelformat)) "
                            + "\(format.fmt.pix.width)x\(format.fmt.pix.height)", path: path, code: EINVAL)
        }
        // Some drivers pad each line (and NV12's luma plane); raw pictures are read with the driver's stride.
        bytesPerLine = Int(format.fmt.pix.bytesperline)
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1000, denominator: UInt32((mode.framesPerSecond * 1000).rounded()))
        // Some cameras have a fixed rate and refuse to set it; that is not an error.
        _ = driver.ioctl(fd, rr_vidioc_s_parm(), &parm)

        var request = v4l2_requestbuffers()
        request.count = 4
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try call(rr_vidioc_reqbufs(), &request, "VIDIOC_REQBUFS")
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            buffer.index = index
            try call(rr_vidioc_querybuf(), &buffer, "VIDIOC_QUERYBUF")
            guard let mapped = driver.mmap(fd, length: Int(buffer.length), offset: Int(buffer.m.offset)) else {
                throw V4L2Error(operation: "mmap", path: path, code: errno)
            }
            buffers.append((mapped, Int(buffer.length)))
            try call(rr_vidioc_qbuf(), &buffer, "VIDIOC_QBUF")
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try call(rr_vidioc_streamon(), &type, "VIDIOC_STREAMON")
        streaming = true
    }

    public func next(timeout: Double, _ body: (UnsafeRawBufferPointer, MonotonicInstant) throws -> Void) throws -> Bool {
        let (ready, events) = driver.poll(fd, milliseconds: Int32(timeout * 1000))
        if ready < 0 { if errno == EINTR { return false }; throw V4L2Error(operation: "poll", path: path, code: errno) }
        if ready == 0 { return false }
        if events & Int16(POLLERR | POLLHUP) != 0 { throw V4L2Error(operation: "poll", path: path, code: ENODEV) }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        if driver.ioctl(fd, rr_vidioc_dqbuf(), &buffer) < 0 {
            if errno == EAGAIN { return false }
            throw V4L2Error(operation: "VIDIOC_DQBUF", path: path, code: errno)
        }
        defer { _ = driver.ioctl(fd, rr_vidioc_qbuf(), &buffer) }
        let monotonic = buffer.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        let stamp = monotonic && buffer.timestamp.tv_sec > 0
            ? MonotonicInstant(nanoseconds: Int64(buffer.timestamp.tv_sec) * 1_000_000_000 + Int64(buffer.timestamp.tv_usec) * 1000)
            : MonotonicInstant.now()
        // A buffer the driver marked as corrupted (a USB glitch) is skipped, not shown.
        guard buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) == 0, Int(buffer.index) < buffers.count else { return true }
        try body(UnsafeRawBufferPointer(start: buffers[Int(buffer.index)].start, count: Int(buffer.bytesused)), stamp)
        return true
    }

    public func stop() {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = driver.ioctl(fd, rr_vidioc_streamoff(), &type)
            streaming = false
        }
        for buffer in buffers { driver.munmap(buffer.start, length: buffer.length) }
        buffers = []
        if fd >= 0, !closed { driver.close(fd) }
        closed = true
    }
}
