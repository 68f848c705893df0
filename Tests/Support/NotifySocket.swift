import Foundation

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`: collects what the daemon sends with sd_notify.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []
    private var reader: Thread?

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessRunner.Failure(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw ProcessRunner.Failure(message: "bind \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in readLoop() }
        reader = thread
        thread.start()
    }

    /// Every datagram received so far, each split into its `KEY=VALUE` lines.
    public var messages: [String] { lock.withLock { received } }

    private var closed: Bool { lock.withLock { closedFlag } }
    private var closedFlag = false

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !closed {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            lock.withLock { received.append(contentsOf: text.split(separator: "\n").map(String.init)) }
        }
    }

    deinit {
        lock.withLock { closedFlag = true }
        while reader?.isExecuting == true { usleep(10_000) }
        close(fd)
        unlink(path)
    }
}
