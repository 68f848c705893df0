import Capture
import CV4L2
import Foundation

/// A V4L2 driver for tests, below ``V4L2Stream``: it answers the streaming ioctls as a UVC camera's driver does,
/// keeps the buffer ring (a buffer is dequeued only after it was queued, and only once), hands out the scripted
/// frames, and fails as an unplugged camera does. Every call is logged, in order.
public final class ScriptedV4L2Driver: V4L2Driver, @unchecked Sendable {
    /// A frame the camera "captures".
    public struct Frame {
        public var bytes: [UInt8]
        /// The driver marks the buffer as corrupted (V4L2_BUF_FLAG_ERROR).
        public var corrupted: Bool
        /// The capture instant the driver stamps (CLOCK_MONOTONIC), in nanoseconds.
        public var timestamp: Int64

        public init(bytes: [UInt8], corrupted: Bool = false, timestamp: Int64) {
            self.bytes = bytes
            self.corrupted = corrupted
            self.timestamp = timestamp
        }
    }

    /// What happens after the scripted frames.
    public enum Ending {
        /// Nothing more: polls time out.
        case quiet
        /// The camera is unplugged: VIDIOC_DQBUF fails with ENODEV.
        case unpluggedAtDequeue
        /// The camera is unplugged: poll reports POLLERR.
        case unpluggedAtPoll
    }

    public private(set) var calls: [String] = []
    public var frames: [Frame]
    public var ending: Ending
    /// What VIDIOC_S_FMT answers instead of the mode asked for (width, height, fourcc), if set.
    public var answeredFormat: (width: UInt32, height: UInt32, fourcc: String)?
    /// The stride VIDIOC_S_FMT reports.
    public var bytesPerLine: UInt32 = 0
    /// How many buffers VIDIOC_REQBUFS grants.
    public var buffersGranted: UInt32 = 4
    private let bufferLength = 1 << 16
    private var memory: [Int: UnsafeMutableRawPointer] = [:]
    private var queued: [UInt32] = []

    public init(frames: [Frame], ending: Ending = .quiet) {
        self.frames = frames
        self.ending = ending
    }

    deinit { for pointer in memory.values { pointer.deallocate() } }

    public func open(_ path: String) -> Int32 {
        calls.append("open \(path)")
        return 42
    }

    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 {
        switch request {
        case rr_vidioc_s_fmt():
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            calls.append("S_FMT \(format.pointee.fmt.pix.width)x\(format.pointee.fmt.pix.height) \(V4L2Device.fourcc(format.pointee.fmt.pix.pixelformat))")
            if let answered = answeredFormat {
                let code = Array(answered.fourcc.utf8.map { CChar(bitPattern: $0) })
                format.pointee.fmt.pix.width = answered.width
                format.pointee.fmt.pix.height = answered.height
                format.pointee.fmt.pix.pixelformat = rr_fourcc(code[0], code[1], code[2], code[3])
            }
            format.pointee.fmt.pix.bytesperline = bytesPerLine
        case rr_vidioc_s_parm():
            let parm = argument.assumingMemoryBound(to: v4l2_streamparm.self)
            calls.append("S_PARM \(parm.pointee.parm.capture.timeperframe.numerator)/\(parm.pointee.parm.capture.timeperframe.denominator)")
        case rr_vidioc_reqbufs():
            let request = argument.assumingMemoryBound(to: v4l2_requestbuffers.self)
            calls.append("REQBUFS \(request.pointee.count)")
            request.pointee.count = buffersGranted
        case rr_vidioc_querybuf():
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            calls.append("QUERYBUF \(buffer.pointee.index)")
            buffer.pointee.length = UInt32(bufferLength)
            buffer.pointee.m.offset = buffer.pointee.index * UInt32(bufferLength)
        case rr_vidioc_qbuf():
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            calls.append("QBUF \(buffer.pointee.index)")
            guard !queued.contains(buffer.pointee.index) else { return fail(EINVAL) }
            queued.append(buffer.pointee.index)
        case rr_vidioc_dqbuf():
            guard let index = queued.first else { return fail(EINVAL) }
            guard let frame = frames.first else {
                if ending == .unpluggedAtDequeue {
                    calls.append("DQBUF ENODEV")
                    return fail(ENODEV)
                }
                return fail(EAGAIN)
            }
            frames.removeFirst()
            queued.removeFirst()
            calls.append("DQBUF \(index)")
            let buffer = argument.assumingMemoryBound(to: v4l2_buffer.self)
            buffer.pointee.index = index
            let target = memory[Int(index)]!
            frame.bytes.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: min($0.count, bufferLength)) }
            buffer.pointee.bytesused = UInt32(min(frame.bytes.count, bufferLength))
            buffer.pointee.flags = UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) | (frame.corrupted ? UInt32(V4L2_BUF_FLAG_ERROR) : 0)
            buffer.pointee.timestamp = timeval(tv_sec: Int(frame.timestamp / 1_000_000_000), tv_usec: Int(frame.timestamp % 1_000_000_000 / 1000))
        case rr_vidioc_streamon(): calls.append("STREAMON")
        case rr_vidioc_streamoff(): calls.append("STREAMOFF")
        default:
            calls.append("ioctl \(request)")
            return fail(ENOTTY)
        }
        return 0
    }

    public func mmap(_ fd: Int32, length: Int, offset: Int) -> UnsafeMutableRawPointer? {
        calls.append("mmap \(offset / bufferLength)")
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 64)
        memory[offset / bufferLength] = pointer
        return pointer
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) {
        guard let index = memory.first(where: { $0.value == address })?.key else { return calls.append("munmap unknown") }
        calls.append("munmap \(index)")
        memory.removeValue(forKey: index)?.deallocate()
    }

    public func poll(_ fd: Int32, milliseconds: Int32) -> (ready: Int32, events: Int16) {
        if frames.isEmpty {
            switch ending {
            case .quiet: return (0, 0)
            case .unpluggedAtPoll: return (1, Int16(POLLERR))
            case .unpluggedAtDequeue: return (1, Int16(POLLIN))
            }
        }
        return queued.isEmpty ? (0, 0) : (1, Int16(POLLIN))
    }

    public func close(_ fd: Int32) { calls.append("close") }

    private func fail(_ code: Int32) -> Int32 {
        errno = code
        return -1
    }
}
