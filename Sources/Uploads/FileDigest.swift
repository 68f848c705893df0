import Crypto
import Foundation

/// Digests of files or of ranges of them, read in large chunks.
public enum FileDigest {
    public static let chunkSize = 4 << 20

    /// Hex SHA-256 of the whole file at `path`.
    public static func sha256(path: String) throws -> String {
        hex(try digest(SHA256.self, path: path, offset: 0, length: nil))
    }

    /// SHA-256 of `length` bytes of the file at `path` from `offset`.
    public static func sha256Digest(path: String, offset: Int64, length: Int64) throws -> Data {
        try digest(SHA256.self, path: path, offset: offset, length: length)
    }

    /// MD5 of `length` bytes of the file at `path` from `offset` (what S3 makes the ETag of an unencrypted part).
    public static func md5Digest(path: String, offset: Int64, length: Int64) throws -> Data {
        try digest(Insecure.MD5.self, path: path, offset: offset, length: length)
    }

    /// The digest of `length` bytes from `offset`, or of everything from `offset` to the end when `length` is nil.
    private static func digest<H: HashFunction>(_ function: H.Type, path: String, offset: Int64, length: Int64?) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        if offset > 0 { try handle.seek(toOffset: UInt64(offset)) }
        var hasher = H()
        var left = length ?? .max
        while left > 0, let chunk = try handle.read(upToCount: Int(min(Int64(chunkSize), left))), !chunk.isEmpty {
            hasher.update(data: chunk)
            left -= Int64(chunk.count)
        }
        if let length, left != 0 { throw PermanentUploadError("\(path) is shorter than \(offset + length) bytes") }
        return Data(hasher.finalize())
    }

    /// Lower-case hex of a digest's bytes.
    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
