import CV4L2
import Foundation

/// The system calls V4L2 streaming makes, one level below ``CameraStream``: the kernel's (``V4L2Kernel``), or in
/// tests a scripted driver that answers as a real camera does, so the ioctl sequence, the buffer ring and the
/// failures of a camera being unplugged are tested without one. Failures return -1 (or nil) with `errno` set, as
/// the system calls do.
public protocol V4L2Driver: AnyObject {
    func open(_ path: String) -> Int32
    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32
    func mmap(_ fd: Int32, length: Int, offset: Int) -> UnsafeMutableRawPointer?
    func munmap(_ address: UnsafeMutableRawPointer, length: Int)
    /// Waits up to `milliseconds` for a frame: the number of ready descriptors (0 on a timeout, -1 on an error)
    /// and the events seen.
    func poll(_ fd: Int32, milliseconds: Int32) -> (ready: Int32, events: Int16)
    func close(_ fd: Int32)
}

extension V4L2Driver {
    /// poll(2) on the descriptor, which libv4l2's descriptors are too.
    public func poll(_ fd: Int32, milliseconds: Int32) -> (ready: Int32, events: Int16) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&poller, 1, milliseconds)
        return (ready, poller.revents)
    }
}

/// The kernel's V4L2 driver, through the system calls.
public final class V4L2Kernel: V4L2Driver {
    public init() {}

    public func open(_ path: String) -> Int32 { Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }

    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 { rr_ioctl(fd, request, argument) }

    public func mmap(_ fd: Int32, length: Int, offset: Int) -> UnsafeMutableRawPointer? {
        let mapped = Glibc.mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset))
        return mapped == MAP_FAILED ? nil : mapped
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) { _ = Glibc.munmap(address, length) }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }
}

/// The kernel's driver through libv4l2, which converts formats only it knows (Bayer, vendor-specific) into YU12 or
/// RGB in software and lists those as extra formats. Used for a camera that offers no format RoomRecorder can
/// use as it is.
public final class V4L2Library: V4L2Driver {
    public init() {}

    public func open(_ path: String) -> Int32 { rr_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }

    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 { rr_v4l2_ioctl(fd, request, argument) }

    public func mmap(_ fd: Int32, length: Int, offset: Int) -> UnsafeMutableRawPointer? {
        let mapped = v4l2_mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(offset))
        return mapped == MAP_FAILED ? nil : mapped
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) { _ = v4l2_munmap(address, length) }

    public func close(_ fd: Int32) { _ = v4l2_close(fd) }
}
