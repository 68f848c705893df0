import CV4L2
import Foundation
import RecorderCore
import Synchronization

/// Watches the kernel's device events (a `NETLINK_KOBJECT_UEVENT` socket, the one udev itself reads) for
/// cameras and microphones appearing and disappearing, on a thread of its own.
public final class HotplugMonitor: Sendable {
    private let socket: Int32
    private let stopped = Atomic(false)

    /// Opens and binds the socket; throws where the kernel does not allow it (some containers).
    public init() throws {
        let fd = Glibc.socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_KOBJECT_UEVENT)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = 1  // the kernel's own events
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: error) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        socket = fd
    }

    deinit { close(socket) }

    /// Starts reading; `handle` gets each camera or microphone event, on the monitor's thread.
    public func start(_ handle: @escaping @Sendable (DeviceEvent) -> Void) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 8192)
            while !stopped.load(ordering: .relaxed) {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { continue }
                if let event = DeviceEvent.parse(Array(buffer[0..<count])) { handle(event) }
            }
        }
        thread.name = "roomrec.hotplug"
        thread.start()
    }

    /// Stops the thread within a second.
    public func stop() { stopped.store(true, ordering: .relaxed) }
}
