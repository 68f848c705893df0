import DurableFiles
import Foundation
import Networking
import RecorderCore

/// Delivers recordings to an S3 bucket (AWS S3 or any S3-compatible store) as resumable multipart uploads.
///
/// The upload id is reported (and so stored by the queue) before any part is sent; after a restart the parts
/// S3 already holds are listed with ListParts and only the rest are sent; a finished object is recognised by
/// its `sha256` metadata, so a crash at any instant never makes a second object nor sends a confirmed part again.
public struct S3Target: UploadTarget {
    public let kind = LibraryTarget.s3
    public let client: S3Client
    /// Bytes per part (S3 wants at least 5 MiB for every part but the last).
    public let partSize: Int
    /// e.g. `{room}/Recordings/{filename}`; also `{id}` and `{date}` (YYYY-MM-DD of the start).
    public let keyTemplate: String

    /// The queue's bandwidth limit, if any.
    public let throttle: Throttle?
    /// Parts sent at the same time (each on its own connection): the next part is hashed while one is on the
    /// wire, and a long link is kept full. Parts are streamed from the file, so this costs no memory.
    public let partsInFlight: Int

    public init(client: S3Client, partSize: Int = 16 << 20, keyTemplate: String = "{room}/Recordings/{filename}", throttle: Throttle? = nil,
                partsInFlight: Int = 4) {
        self.client = client
        self.partSize = partSize
        self.partsInFlight = max(1, partsInFlight)
        self.keyTemplate = keyTemplate
        self.throttle = throttle
    }

    /// The object key of a recording.
    public func key(for recording: Recording) -> String {
        let date = String(ISO8601.string(recording.startDate).prefix(10))
        return keyTemplate.replacingOccurrences(of: "{room}", with: recording.roomId)
            .replacingOccurrences(of: "{filename}", with: recording.filename)
            .replacingOccurrences(of: "{id}", with: recording.recordingId)
            .replacingOccurrences(of: "{date}", with: date)
    }

    /// `s3://bucket/key`, the remote id of a delivered object.
    func objectURI(_ key: String) -> String { "s3://\(client.endpoint.bucket)/\(key)" }

    public func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        guard let digest = recording.sha256 else { throw PermanentUploadError("recording \(recording.recordingId) has no SHA-256") }
        let size = try fileSize(of: recording)
        do {
            return try await upload(recording, size: size, digest: digest, from: checkpoint, report: report)
        } catch let error as S3Client.ServiceError where !error.isTransient {
            // 4xx other than 408 and 429: retrying will not help; the job fails with the server's message.
            throw PermanentUploadError(error.description)
        }
    }

    private func upload(_ recording: Recording, size: Int64, digest: String, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        // Fixed by the file's size, so a resumed upload cuts the file as the first attempt did.
        let partSize = Self.partSize(forFileOf: size, preferred: self.partSize)
        var key = key(for: recording)
        var uploadId: String?
        var parts: [S3Client.Part] = []

        if let remote = checkpoint.remoteId, remote.hasPrefix("s3://") {
            // Reported done before: check it is still there.
            let doneKey = String(remote.dropFirst("s3://\(client.endpoint.bucket)/".count))
            if try await client.headObject(key: doneKey)?["sha256"] == digest { return UploadCheckpoint(remoteId: remote, bytesConfirmed: size) }
        } else if let remote = checkpoint.remoteId, let started = Self.parseUpload(remote) {
            key = started.key
            if let listed = try await client.listParts(key: key, uploadId: started.uploadId) {
                uploadId = started.uploadId
                parts = try await Self.confirmedPrefix(listed, partSize: partSize, fileSize: size, path: recording.path)
            } else if try await client.headObject(key: key)?["sha256"] == digest {
                // Completed just before a crash.
                return UploadCheckpoint(remoteId: objectURI(key), bytesConfirmed: size)
            }
        }

        if uploadId == nil {
            // An object of the same name: this recording delivered before, or someone else's file to keep.
            var n = 1
            while let metadata = try await client.headObject(key: key) {
                if metadata["sha256"] == digest { return UploadCheckpoint(remoteId: objectURI(key), bytesConfirmed: size) }
                n += 1
                key = RecordingName.numbered(self.key(for: recording), n)
            }
            // An upload made before a crash that came before its checkpoint was stored: free it, then start anew.
            for orphan in try await client.multipartUploads(key: key) {
                try? await client.abortMultipartUpload(key: key, uploadId: orphan)
            }
            let id = try await client.createMultipartUpload(key: key, contentType: "video/mp4", metadata: metadata(recording, digest: digest, size: size))
            uploadId = id
            // Stored before any content is sent: a restart resumes this upload instead of starting another.
            try await report(UploadCheckpoint(remoteId: Self.uploadMarker(uploadId: id, key: key), bytesConfirmed: 0))
        }
        let id = uploadId!
        let marker = Self.uploadMarker(uploadId: id, key: key)

        let partCount = max(1, Int((size + Int64(partSize) - 1) / Int64(partSize)))
        var sent = Dictionary(uniqueKeysWithValues: parts.map { ($0.number, $0) })
        var prefix = parts.count  // parts 1...prefix are all confirmed
        var confirmed = parts.reduce(Int64(0)) { $0 + $1.size }
        let client = self.client
        let objectKey = key
        try await withThrowingTaskGroup(of: S3Client.Part.self) { group in
            var next = prefix + 1
            var inFlight = 0
            while next <= partCount || inFlight > 0 {
                // Up to `partsInFlight` parts on the wire at once, each read from the file as it is sent.
                while inFlight < partsInFlight, next <= partCount {
                    try Task.checkCancellation()
                    let number = next
                    let offset = Int64(number - 1) * Int64(partSize)
                    let length = Int(min(Int64(partSize), size - offset))
                    let path = recording.path
                    let throttle = self.throttle
                    group.addTask {
                        try await client.uploadPart(key: objectKey, uploadId: id, number: number, path: path, offset: offset,
                                                    length: Int64(length), throttle: throttle)
                    }
                    next += 1
                    inFlight += 1
                }
                guard let part = try await group.next() else { break }
                inFlight -= 1
                sent[part.number] = part
                // The checkpoint is the unbroken run of parts from 1: that is what a resume keeps (ListParts).
                var advanced = false
                while let confirmedPart = sent[prefix + 1] {
                    prefix += 1
                    confirmed += confirmedPart.size
                    advanced = true
                }
                if advanced { try await report(UploadCheckpoint(remoteId: marker, bytesConfirmed: confirmed)) }
            }
        }
        parts = (1...partCount).compactMap { sent[$0] }
        try await client.completeMultipartUpload(key: key, uploadId: id, parts: parts)
        guard try await client.headObject(key: key)?["sha256"] == digest else {
            throw UploadError("the object \(objectURI(key)) does not carry the recording's SHA-256 after completing")
        }
        return UploadCheckpoint(remoteId: objectURI(key), bytesConfirmed: size)
    }

    /// Gives up an unfinished upload (a cancelled job), so the store frees its parts.
    public func abort(_ checkpoint: UploadCheckpoint) async throws {
        guard let remote = checkpoint.remoteId, let started = Self.parseUpload(remote) else { return }
        try await client.abortMultipartUpload(key: started.key, uploadId: started.uploadId)
    }

    private func metadata(_ recording: Recording, digest: String, size: Int64) -> [String: String] {
        var metadata = ["room": recording.roomId, "title": recording.title, "recording-id": recording.recordingId,
                        "start": ISO8601.string(recording.startDate), "sha256": digest, "size": "\(size)"]
        if let duration = recording.duration { metadata["duration"] = String(format: "%.3f", duration) }
        if let owner = recording.owner { metadata["owner"] = owner }
        return metadata
    }

    /// The parts that can be kept: numbered from 1 without a gap, each of the size this upload gives it, and with
    /// the content of that part of the file: its SHA-256 where the store lists one (uploads with checksums), else
    /// its MD5 where the ETag is one.
    static func confirmedPrefix(_ parts: [S3Client.Part], partSize: Int, fileSize: Int64, path: String) async throws -> [S3Client.Part] {
        var kept: [S3Client.Part] = []
        for part in parts {
            let offset = Int64(part.number - 1) * Int64(partSize)
            guard part.number == kept.count + 1, part.size == min(Int64(partSize), fileSize - offset) else { break }
            if let checksum = part.checksum {
                let local = try await BlockingIO.run { try FileDigest.sha256Digest(path: path, offset: offset, length: part.size) }
                guard local.base64EncodedString() == checksum else { break }
            } else if let md5 = Self.plainETag(part.etag) {
                // A store that lists no checksum: an unencrypted part's ETag is its MD5.
                let local = try await BlockingIO.run { try FileDigest.md5Digest(path: path, offset: offset, length: part.size) }
                guard FileDigest.hex(local) == md5 else { break }
            }
            kept.append(part)
        }
        return kept
    }

    /// The configured part size, or larger for a file that would need more than S3's 10,000 parts (a whole MiB).
    public static func partSize(forFileOf size: Int64, preferred: Int) -> Int {
        let smallest = (size + 9_999) / 10_000
        guard smallest > Int64(preferred) else { return preferred }
        return Int(((smallest + (1 << 20) - 1) >> 20) << 20)
    }

    /// The MD5 an ETag holds (32 hex digits, quoted), if it is one.
    static func plainETag(_ etag: String) -> String? {
        let bare = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        return bare.count == 32 && bare.allSatisfy(\.isHexDigit) ? bare : nil
    }

    static func uploadMarker(uploadId: String, key: String) -> String { "s3-upload:\(uploadId)|\(key)" }

    static func parseUpload(_ remote: String) -> (uploadId: String, key: String)? {
        guard remote.hasPrefix("s3-upload:"), let bar = remote.firstIndex(of: "|") else { return nil }
        return (String(remote[remote.index(remote.startIndex, offsetBy: "s3-upload:".count)..<bar]), String(remote[remote.index(after: bar)...]))
    }
}
