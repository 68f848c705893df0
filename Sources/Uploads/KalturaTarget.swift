import Foundation
import Networking
import RecorderCore

/// Delivers recordings to a Kaltura media library: an entry first (`media.add`, its `referenceId` the recording's
/// id, its owner the recording's owner), then the file in chunks through an upload token (`uploadToken.add` with
/// the size, `uploadToken.upload` with `resume`/`resumeAt`/`finalChunk`), then `media.addContent`, then the entry
/// into the room's Recordings category (`categoryEntry.add`).
///
/// The entry id is reported (so stored by the queue) before any content is sent, and the upload token's id before
/// its first chunk; a restart resumes from the bytes `uploadToken.get` says the server holds. An entry made just
/// before a crash, before its id could be stored, is found again by its `referenceId`: one recording never makes
/// two entries.
public struct KalturaTarget: UploadTarget {
    public let kind = LibraryTarget.kaltura
    public let client: KalturaClient
    public let session: KalturaSession
    /// The room's Recordings category.
    public let categoryId: Int?
    /// Bytes per `uploadToken.upload`.
    public let chunkSize: Int
    /// The queue's bandwidth limit, if any.
    public let throttle: Throttle?

    public init(client: KalturaClient, session: KalturaSession, categoryId: Int?, chunkSize: Int = 10 << 20, throttle: Throttle? = nil) {
        self.client = client
        self.session = session
        self.categoryId = categoryId
        self.chunkSize = chunkSize
        self.throttle = throttle
    }

    // MARK: Kaltura objects (the fields used)

    struct MediaEntry: Decodable {
        var id: String
        var status: Int
        /// `KalturaEntryStatus.NO_CONTENT`: made, no file attached yet.
        var hasContent: Bool { status != 7 }
    }

    struct UploadToken: Decodable {
        var id: String
        var status: Int
        var uploadedFileSize: Double?
        /// PENDING (0) or PARTIAL_UPLOAD (1): more chunks may come.
        var acceptsChunks: Bool { status == 0 || status == 1 }
        /// FULL_UPLOAD (2): every byte is there, ready for `media.addContent`.
        var isFull: Bool { status == 2 }
    }

    struct ListResponse<Item: Decodable>: Decodable {
        var objects: [Item]?
    }

    /// What the queue stores while a delivery is under way, as its remote id.
    struct Progress: Equatable {
        var entryId: String
        var tokenId: String?

        var remoteId: String { "kaltura-entry:\(entryId)" + (tokenId.map { "|\($0)" } ?? "") }

        init(entryId: String, tokenId: String? = nil) {
            self.entryId = entryId
            self.tokenId = tokenId
        }

        init?(_ remoteId: String?) {
            guard let remoteId, remoteId.hasPrefix("kaltura-entry:") else { return nil }
            let parts = remoteId.dropFirst("kaltura-entry:".count).split(separator: "|", maxSplits: 1).map(String.init)
            guard let entry = parts.first, !entry.isEmpty else { return nil }
            self.init(entryId: entry, tokenId: parts.count > 1 ? parts[1] : nil)
        }
    }

    /// The remote id of a delivered recording.
    static func deliveredId(_ entryId: String) -> String { "kaltura:\(entryId)" }

    // MARK: Delivery

    public func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        let size = try fileSize(of: recording)
        do {
            return try await upload(recording, size: size, from: checkpoint, report: report)
        } catch let error as KalturaClient.APIError where !error.isTransient {
            // Refused for a reason a retry will not change (no such category, no permission, bad app token).
            throw PermanentUploadError(error.description)
        }
    }

    private func upload(_ recording: Recording, size: Int64, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        // 1. The entry: the stored one, else one this recording made before its id was stored, else a new one.
        if let remote = checkpoint.remoteId, remote.hasPrefix("kaltura:") {
            let entryId = String(remote.dropFirst("kaltura:".count))
            if let entry = try await entry(entryId), entry.hasContent { return UploadCheckpoint(remoteId: remote, bytesConfirmed: size) }
        }
        var progress = Progress(checkpoint.remoteId)
        var entry: MediaEntry?
        if let progress { entry = try await self.entry(progress.entryId) }
        if entry == nil {
            progress = nil
            entry = try await entryMade(for: recording)
        }
        if entry == nil {
            entry = try await call("media", "add", mediaFields(recording), as: MediaEntry.self)
        }
        guard let entry else { throw UploadError("media.add answered no entry") }
        if progress?.entryId != entry.id {
            progress = Progress(entryId: entry.id)
            // Stored before any content is sent: a restart goes on with this entry instead of making another.
            try await report(UploadCheckpoint(remoteId: progress!.remoteId, bytesConfirmed: 0))
        }
        var current = progress!

        // 2. The file, unless the entry has it already (content added just before a crash).
        if !entry.hasContent {
            var token: UploadToken?
            if let id = current.tokenId { token = try await uploadToken(id) }
            if let found = token, !(found.acceptsChunks || found.isFull) || Int64(found.uploadedFileSize ?? 0) > size { token = nil }
            if token == nil {
                let added = try await call("uploadToken", "add", [
                    ("uploadToken:objectType", "KalturaUploadToken"), ("uploadToken:fileName", recording.filename), ("uploadToken:fileSize", "\(size)"),
                ], as: UploadToken.self)
                token = added
                current.tokenId = added.id
                try await report(UploadCheckpoint(remoteId: current.remoteId, bytesConfirmed: 0))
            }
            let confirmed = Int64(token!.uploadedFileSize ?? 0)
            if !token!.isFull {
                try await sendChunks(of: recording, size: size, token: token!.id, from: confirmed, progress: current, report: report)
            }
            do {
                _ = try await call("media", "addContent", [
                    ("entryId", entry.id), ("resource:objectType", "KalturaUploadedFileTokenResource"), ("resource:token", token!.id),
                ], as: MediaEntry.self)
            } catch let error as KalturaClient.APIError where error.code == "ENTRY_ALREADY_WITH_CONTENT" {
                // Added by an attempt whose answer was lost.
            }
        }

        // 3. Into the room's Recordings category.
        if let categoryId {
            do {
                try await call("categoryEntry", "add", [
                    ("categoryEntry:objectType", "KalturaCategoryEntry"), ("categoryEntry:entryId", entry.id), ("categoryEntry:categoryId", "\(categoryId)"),
                ])
            } catch let error as KalturaClient.APIError where error.code == "CATEGORY_ENTRY_ALREADY_EXISTS" {
                // Added by an attempt whose answer was lost.
            }
        }
        return UploadCheckpoint(remoteId: Self.deliveredId(entry.id), bytesConfirmed: size)
    }

    /// Sends the file from `offset` in chunks, checking after each that the server holds exactly what was sent.
    private func sendChunks(of recording: Recording, size: Int64, token: String, from start: Int64, progress: Progress,
                            report: @Sendable (UploadCheckpoint) async throws -> Void) async throws {
        var offset = start
        if offset > 0 { try await report(UploadCheckpoint(remoteId: progress.remoteId, bytesConfirmed: offset)) }
        repeat {
            try Task.checkCancellation()
            let length = Int(min(Int64(chunkSize), size - offset))
            let final = offset + Int64(length) == size
            let answer = try await call("uploadToken", "upload", [
                ("uploadTokenId", token), ("resume", offset > 0 ? "1" : "0"), ("resumeAt", "\(offset)"), ("finalChunk", final ? "1" : "0"),
            ], file: .init(field: "fileData", filename: "\(recording.recordingId).mp4", path: recording.path, offset: offset, length: Int64(length),
                                            throttle: throttle),
               as: UploadToken.self)
            let held = Int64(answer.uploadedFileSize ?? -1)
            guard held == offset + Int64(length) else {
                throw UploadError("uploadToken.upload: the server holds \(held) bytes after the chunk at \(offset), expected \(offset + Int64(length))")
            }
            offset = held
            try await report(UploadCheckpoint(remoteId: progress.remoteId, bytesConfirmed: offset))
        } while offset < size
    }

    /// Gives up a cancelled delivery: deletes its upload token, and its entry while it has no content.
    public func abort(_ checkpoint: UploadCheckpoint) async throws {
        guard let progress = Progress(checkpoint.remoteId) else { return }
        if let token = progress.tokenId {
            do { try await call("uploadToken", "delete", [("uploadTokenId", token)]) } catch let error as KalturaClient.APIError where error.code == "UPLOAD_TOKEN_NOT_FOUND" {}
        }
        if let entry = try await entry(progress.entryId), !entry.hasContent {
            try await call("media", "delete", [("entryId", progress.entryId)])
        }
    }

    // MARK: Calls

    private func mediaFields(_ recording: Recording) -> [(String, String)] {
        var description = "Recorded in room \(recording.roomId) from \(ISO8601.string(recording.startDate))"
        if let end = recording.endDate { description += " to \(ISO8601.string(end))" }
        var fields = [("entry:objectType", "KalturaMediaEntry"), ("entry:mediaType", "1"), ("entry:name", recording.name),
                      ("entry:description", description + "."), ("entry:referenceId", recording.recordingId)]
        if let owner = recording.owner, !owner.isEmpty { fields.append(("entry:userId", owner)) }
        // Kaltura starts the entry from a copy of the template: its co-editors, publishers and categories.
        if let template = recording.templateEntryId { fields.append(("entry:templateEntryId", template)) }
        return fields
    }

    private func entry(_ id: String) async throws -> MediaEntry? {
        do {
            return try await call("media", "get", [("entryId", id)], as: MediaEntry.self)
        } catch let error as KalturaClient.APIError where error.code == "ENTRY_ID_NOT_FOUND" {
            return nil
        }
    }

    /// The entry whose `referenceId` is this recording's id, in any state but deleted.
    private func entryMade(for recording: Recording) async throws -> MediaEntry? {
        let list = try await call("media", "list", [
            ("filter:objectType", "KalturaMediaEntryFilter"), ("filter:referenceIdEqual", recording.recordingId),
            ("filter:statusIn", "-2,-1,0,1,2,4,7"), ("filter:orderBy", "+createdAt"),
        ], as: ListResponse<MediaEntry>.self)
        return list.objects?.first
    }

    private func uploadToken(_ id: String) async throws -> UploadToken? {
        do {
            return try await call("uploadToken", "get", [("uploadTokenId", id)], as: UploadToken.self)
        } catch let error as KalturaClient.APIError where error.code == "UPLOAD_TOKEN_NOT_FOUND" {
            return nil
        }
    }

    /// A call with the current KS; a KS the server refuses is renewed once before the error counts.
    private func call<Result: Decodable>(_ service: String, _ action: String, _ fields: [(String, String)],
                                         file: KalturaClient.FilePart? = nil, as type: Result.Type) async throws -> Result {
        let ks = try await session.ks()
        do {
            return try await client.call(service, action, ks: ks, fields, file: file, as: type)
        } catch let error as KalturaClient.APIError where error.isSessionError {
            await session.invalidate(ks)
            return try await client.call(service, action, ks: try await session.ks(), fields, file: file, as: type)
        }
    }

    /// A call whose answer is not needed.
    private func call(_ service: String, _ action: String, _ fields: [(String, String)]) async throws {
        _ = try await call(service, action, fields, as: KalturaClient.Nothing.self)
    }
}
