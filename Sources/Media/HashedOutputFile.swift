import CFFmpeg
import Crypto
import Foundation

/// The file a recording is muxed into, written through an `AVIOContext` of our own so that every byte is hashed
/// (SHA-256) as it goes out and a write failure can never leave a torn tail.
///
/// After each packet the muxer has fully written, ``markConsistent()`` notes the size and the hash so far: the
/// file then ends on a fragment boundary. When a write fails (ENOSPC, EIO, EFBIG…), the file refuses every later
/// write and ``rollBack()`` cuts it back to that point, so what is on disk is a playable file whose hash is known
/// without reading it again. Used from one thread.
final class HashedOutputFile {
    let path: String
    private let descriptor: Int32
    /// Bytes in the file (the write position; the muxer of a fragmented MP4 only appends).
    private(set) var size: Int64 = 0
    private var hasher = SHA256()
    /// False once the muxer seeked back to rewrite something before the trailer: the running hash no longer
    /// describes the file.
    private var appendOnly = true
    /// Where the trailer began, with the hash up to there: the trailer's index (`mfra`) is written, then its sizes
    /// patched, and once it outgrows the I/O buffer those patches reach the file. Only that tail is read again.
    private var trailerStart: (size: Int64, hasher: SHA256)?
    private var tailRewritten = false
    private var consistent: (size: Int64, hasher: SHA256)
    /// The errno of the first failed write; every later write fails with it.
    private(set) var writeError: Int32?
    /// The I/O context handed to libavformat; owned here.
    private(set) var context: UnsafeMutablePointer<AVIOContext>?

    /// Creates `path`, which must not exist.
    init(path: String) throws(FFmpegError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw FFmpegError(code: rr_averror(errno), operation: "open(\(path))") }
        consistent = (0, hasher)
        let bufferSize: Int32 = 64 << 10
        // From here on the object is whole: deinit closes the descriptor if this throws.
        guard let buffer = av_malloc(Int(bufferSize)) else { throw .missing("av_malloc") }
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        context = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), bufferSize, 1, opaque, nil, { opaque, bytes, count in
            Unmanaged<HashedOutputFile>.fromOpaque(opaque!).takeUnretainedValue().write(bytes!, count: Int(count))
        }, { opaque, offset, whence in
            Unmanaged<HashedOutputFile>.fromOpaque(opaque!).takeUnretainedValue().seek(offset, whence: whence)
        })
        guard context != nil else {
            av_free(buffer)
            throw .missing("avio_alloc_context")
        }
    }

    deinit {
        if let context {
            av_freep(&context.pointee.buffer)
            var owned: UnsafeMutablePointer<AVIOContext>? = context
            avio_context_free(&owned)
        }
        close(descriptor)
    }

    /// The SHA-256 of the file as hex, or nil if the muxer rewrote bytes before the trailer (the file must then be
    /// read). A trailer that patched itself is read back from the disk, which is a few hundred kilobytes at most.
    var sha256: String? {
        guard appendOnly else { return nil }
        var digest = hasher
        if tailRewritten, let start = trailerStart {
            digest = start.hasher
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: UInt64(start.size))) != nil, let tail = try? handle.readToEnd(),
                  Int64(tail.count) == size - start.size else { return nil }
            digest.update(data: tail)
        }
        return digest.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Marks where the trailer begins (call just before writing it).
    func beginTrailer() {
        markConsistent()
        trailerStart = (size, hasher)
    }

    /// Flushes what the muxer buffered and, if that worked, remembers this size and hash as a point the file
    /// can be cut back to. Returns the write error, if any.
    @discardableResult
    func markConsistent() -> Int32? {
        if writeError == nil, let context { avio_flush(context) }
        if writeError == nil { consistent = (size, hasher) }
        return writeError
    }

    /// After a failed write: cuts the file back to the last consistent point and syncs it.
    func rollBack() throws {
        guard ftruncate(descriptor, off_t(consistent.size)) == 0 else {
            throw FFmpegError(code: rr_averror(errno), operation: "ftruncate(\(path))")
        }
        (size, hasher) = consistent
        _ = fsync(descriptor)
    }

    private func write(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) -> Int32 {
        if let writeError { return rr_averror(writeError) }
        let position = lseek(descriptor, 0, SEEK_CUR)
        var done = 0
        while done < count {
            let n = Foundation.write(descriptor, bytes + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                writeError = errno
                return rr_averror(errno)
            }
            done += n
        }
        if Int64(position) == size {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: bytes, count: count))
        } else if let start = trailerStart, Int64(position) >= start.size {
            tailRewritten = true
        } else {
            appendOnly = false
        }
        size = max(size, Int64(position) + Int64(count))
        return Int32(count)
    }

    private func seek(_ offset: Int64, whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return size }
        let result = lseek(descriptor, off_t(offset), whence & ~AVSEEK_FORCE)
        return result < 0 ? Int64(rr_averror(errno)) : Int64(result)
    }
}
