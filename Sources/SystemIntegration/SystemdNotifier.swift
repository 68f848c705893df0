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

    private func send(_ state: String) { _ = sd_notify(0, state) }
}

/// Sockets systemd passed to the service (socket activation, `sd_listen_fds(3)`).
public enum SocketActivation {
    /// The passed file descriptors, starting at `SD_LISTEN_FDS_START`; empty when not socket-activated.
    public static func listenFileDescriptors() -> [Int32] { namedListenFileDescriptors().map(\.fd) }

    /// The sockets systemd passed, each with its `FileDescriptorName=` (`unknown` when the unit gives none): the
    /// control socket (`control`) and the room panel's TCP address (`panel`) come from two socket units.
    public static func namedListenFileDescriptors() -> [(fd: Int32, name: String)] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            for index in 0..<Int(count) { free(names?[index]) }
            free(names)
        }
        return (0..<count).map { index in
            (SD_LISTEN_FDS_START + index, names?[Int(index)].map { String(cString: $0) } ?? "unknown")
        }
    }
}
