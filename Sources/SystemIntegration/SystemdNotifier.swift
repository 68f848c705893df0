import CSystemd
import Glibc

/// Tells systemd how the service is doing through `sd_notify(3)`: `READY=1`, `STATUS=`, `WATCHDOG=1` and
/// `STOPPING=1`. Outside systemd (no `NOTIFY_SOCKET`) every call does nothing.
public struct SystemdNotifier: Sendable {
    public init() {}

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ text: String) { send("STATUS=\(text)") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }
    /// Asks for more time to stop, e.g. while the last recording is finalized.
    public func extendTimeout(seconds: Double) { send("EXTEND_TIMEOUT_USEC=\(Int(seconds * 1_000_000))") }

    /// How often to send `WATCHDOG=1`: half of `WatchdogSec=`, or nil when the watchdog is off.
    public var watchdogInterval: Double? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return Double(usec) / 2_000_000
    }

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set): only then does an exit for a restart come back.
    public var isSupervised: Bool {
        guard let socket = getenv("NOTIFY_SOCKET") else { return false }
        return socket.pointee != 0
    }

    private func send(_ state: String) { _ = sd_notify(0, state) }
}

/// Sockets systemd passed to the service (socket activation, `sd_listen_fds(3)`).
public enum SocketActivation {
    /// The passed file descriptors, starting at `SD_LISTEN_FDS_START`; empty when not socket-activated.
    public static func listenFileDescriptors() -> [Int32] { passed.map(\.fd) }

    /// A socket systemd passed: whether it is a Unix stream socket (the control socket) or an IP one (the room
    /// panel's address), and its `FileDescriptorName=`.
    public struct PassedSocket: Sendable {
        public var fd: Int32
        public var name: String
        public var isUnix: Bool
    }

    /// The sockets systemd passed, read once: `sd_listen_fds` is asked not to clear its variables, so the control
    /// socket's and the panel's listeners, read at different moments, see the same sockets. Told apart by their
    /// type, not by systemd's order or the units' names.
    public static let passed: [PassedSocket] = {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(0, &names)
        guard count > 0 else { return [] }
        defer {
            for index in 0..<Int(count) { free(names?[index]) }
            free(names)
        }
        return (0..<count).map { index in
            let fd = SD_LISTEN_FDS_START + index
            return PassedSocket(fd: fd, name: names?[Int(index)].map { String(cString: $0) } ?? "unknown",
                                isUnix: sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0)
        }
    }()
}
