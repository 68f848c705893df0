import Foundation
import NIOCore
import NIOPosix

/// Reads a range of a file in chunks on NIO's blocking-I/O thread pool, handing each to the sender, so a large
/// recording is streamed without being held in memory.
enum FileChunks {
    static let chunkSize = 1 << 20

    static func send(path: String, offset: Int64, length: Int64, _ write: (ByteBuffer) async throws -> Void) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ControlServerError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var position = offset
        let end = offset + length
        while position < end {
            let want = Int(min(Int64(chunkSize), end - position))
            let at = position
            let chunk = try await NIOThreadPool.singleton.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(want)
                var result = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { bytes in
                    result = pread(fd, bytes.baseAddress, want, off_t(at))
                    return max(result, 0)
                }
                guard result > 0 else {
                    throw ControlServerError(result < 0 ? "cannot read \(path): \(String(cString: strerror(errno)))"
                                                        : "\(path) ended early (it changed while it was sent)")
                }
                return buffer
            }
            position += Int64(chunk.readableBytes)
            try await write(chunk)
        }
    }
}
