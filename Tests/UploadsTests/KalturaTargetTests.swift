import Foundation
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// The Kaltura target against `Tests/Peers/kaltura_server.py`, which speaks the documented subset of the Kaltura
/// API with its real formats and errors.
final class KalturaTargetTests: XCTestCase {
    private var server: KalturaServer!
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        server = try KalturaServer()
        directory = try TemporaryDirectory()
    }

    /// XCTest keeps every test case object until the run ends: release the server and the files now.
    override func tearDown() {
        server?.stop()
        server = nil
        directory = nil
    }

    private func target(categoryId: Int? = 77, hashType: KalturaSession.HashType = .sha256, chunkSize: Int = 4 << 20) -> KalturaTarget {
        let client = KalturaClient(serviceURL: URL(string: server.serviceURL)!)
        let session = KalturaSession(client: client, partnerId: KalturaServer.partnerId, appTokenId: KalturaServer.appTokenId,
                                     appToken: KalturaServer.appToken, hashType: hashType)
        return KalturaTarget(client: client, session: session, categoryId: categoryId, chunkSize: chunkSize)
    }

    private func recording(bytes: Int) throws -> Recording {
        var recording = try LocalFolderTargetTests.recording(in: directory, bytes: bytes)
        recording.owner = "channel-owner"
        return recording
    }

    func testMakesTheEntryThenUploadsInChunksThenFilesItInTheRecordingsCategory() async throws {
        let recording = try recording(bytes: 10 << 20)
        let reports = Reports()
        let final = try await target().deliver(recording, from: UploadCheckpoint()) { await reports.add($0) }

        let state = try server.state()
        XCTAssertEqual(state.entries.count, 1)
        let entry = state.entries[0]
        XCTAssertEqual(final, UploadCheckpoint(remoteId: "kaltura:\(entry.id)", bytesConfirmed: 10 << 20))
        XCTAssertEqual(entry.referenceId, recording.recordingId)
        XCTAssertEqual(entry.userId, "channel-owner", "the owner the room type chose")
        XCTAssertEqual(entry.name, recording.name)
        XCTAssertEqual(entry.status, 2, "READY: content added")
        XCTAssertEqual(try FileDigest.sha256(path: server.contentPath(of: entry.id)), recording.sha256, "the same bytes")
        XCTAssertEqual(state.categoryEntries.map(\.categoryId), [77])
        XCTAssertEqual(state.categoryEntries.map(\.entryId), [entry.id])

        let checkpoints = await reports.all
        XCTAssertEqual(checkpoints.first?.remoteId, "kaltura-entry:\(entry.id)", "the entry id is stored before any content is sent")
        XCTAssertEqual(checkpoints.map(\.bytesConfirmed), [0, 0, 4 << 20, 8 << 20, 10 << 20])
        XCTAssertEqual(state.calls, ["session.startwidgetsession", "apptoken.startsession", "media.list", "media.add", "uploadtoken.add",
                                     "uploadtoken.upload", "uploadtoken.upload", "uploadtoken.upload", "media.addcontent", "categoryentry.add"])
    }

    func testAnInterruptedUploadResumesFromWhatTheServerHolds() async throws {
        let recording = try recording(bytes: 10 << 20)
        // The checkpoint stored last says 4 MiB; the restart asks the server (uploadToken.get) and goes on from there.
        let stored = try await interruptedDelivery(of: recording, to: target()) { $0.bytesConfirmed >= 4 << 20 }
        let second = Reports()
        let final = try await target().deliver(recording, from: stored) { await second.add($0) }
        let resumed = await second.all.map(\.bytesConfirmed)
        XCTAssertEqual(resumed, [4 << 20, 8 << 20, 10 << 20], "confirmed bytes are not sent again")

        let state = try server.state()
        XCTAssertEqual(state.entries.count, 1, "one entry")
        XCTAssertEqual(state.tokens.count, 1, "one upload token")
        XCTAssertEqual(state.calls.filter { $0 == "uploadtoken.upload" }.count, 3, "three chunks in all")
        XCTAssertEqual(final.remoteId, "kaltura:\(state.entries[0].id)")
        XCTAssertEqual(try FileDigest.sha256(path: server.contentPath(of: state.entries[0].id)), recording.sha256)
    }

    func testAnEntryMadeJustBeforeACrashIsFoundByItsReferenceId() async throws {
        let recording = try recording(bytes: 1 << 20)
        // media.add succeeded, then the process died before the entry id was stored.
        _ = try await interruptedDelivery(of: recording, to: target()) { _ in true }
        XCTAssertEqual(try server.state().entries.count, 1)

        let final = try await target().deliver(recording, from: UploadCheckpoint()) { _ in }
        let state = try server.state()
        XCTAssertEqual(state.entries.count, 1, "the restart found the entry by referenceId instead of making a second one")
        XCTAssertEqual(final.remoteId, "kaltura:\(state.entries[0].id)")
        XCTAssertEqual(state.entries[0].status, 2)
    }

    func testADeliveryWhoseAnswerWasLostIsRecognisedAsDone() async throws {
        let recording = try recording(bytes: 1 << 20)
        let first = try await target().deliver(recording, from: UploadCheckpoint()) { _ in }
        // The queue stored nothing of the success: it retries from the last checkpoint it holds, the entry alone.
        let entryId = String(first.remoteId!.dropFirst("kaltura:".count))
        let again = try await target().deliver(recording, from: UploadCheckpoint(remoteId: "kaltura-entry:\(entryId)")) { _ in }
        XCTAssertEqual(again, first)
        let state = try server.state()
        XCTAssertEqual(state.entries.count, 1)
        XCTAssertEqual(state.categoryEntries.count, 1, "CATEGORY_ENTRY_ALREADY_EXISTS counts as filed")
    }

    func testARefusedSessionIsRenewedOnceAndTheCallRetried() async throws {
        let recording = try recording(bytes: 1 << 20)
        let target = target()
        _ = try await target.deliver(recording, from: UploadCheckpoint()) { _ in }
        try server.failNext("INVALID_KS")
        var second = try LocalFolderTargetTests.recording(in: directory, bytes: 1 << 20, id: "rec-2")
        second.owner = "channel-owner"
        _ = try await target.deliver(second, from: UploadCheckpoint()) { _ in }
        let calls = try server.state().calls
        XCTAssertEqual(calls.filter { $0 == "apptoken.startsession" }.count, 2, "a new KS after INVALID_KS")
        XCTAssertEqual(try server.state().entries.filter { $0.status == 2 }.count, 2)
    }

    func testASessionIsRenewedBeforeItExpires() async throws {
        server.stop()
        server = try KalturaServer(ksExpiry: 3)
        let target = target()
        _ = try await target.deliver(try recording(bytes: 100_000), from: UploadCheckpoint()) { _ in }
        try await Task.sleep(for: .seconds(3))
        _ = try await target.deliver(try LocalFolderTargetTests.recording(in: directory, bytes: 100_000, id: "rec-2"), from: UploadCheckpoint()) { _ in }
        let calls = try server.state().calls
        XCTAssertEqual(calls.filter { $0 == "apptoken.startsession" }.count, 2, "renewed without an INVALID_KS first")
        XCTAssertEqual(try server.state().entries.filter { $0.status == 2 }.count, 2)
    }

    func testAWrongAppTokenHashFailsForGoodWithTheServersMessage() async throws {
        let recording = try recording(bytes: 1000)
        do {
            _ = try await target(hashType: .sha1).deliver(recording, from: UploadCheckpoint()) { _ in }
            XCTFail("the server refuses the hash")
        } catch let error as PermanentUploadError {
            XCTAssertTrue(error.message.contains("INVALID_APP_TOKEN_HASH"), error.message)
        }
    }

    func testAMissingCategoryFailsForGoodWithTheServersMessage() async throws {
        let recording = try recording(bytes: 1000)
        do {
            _ = try await target(categoryId: 999).deliver(recording, from: UploadCheckpoint()) { _ in }
            XCTFail("the server has no category 999")
        } catch let error as PermanentUploadError {
            XCTAssertTrue(error.message.contains("CATEGORY_NOT_FOUND"), error.message)
        }
    }

    func testServerFailuresAreTransient() async throws {
        let recording = try recording(bytes: 1000)
        for code in ["INTERNAL_SERVERL_ERROR", "503"] {
            try server.failNext(code)
            do {
                _ = try await target().deliver(recording, from: UploadCheckpoint()) { _ in }
                XCTFail("\(code) should fail the attempt")
            } catch is PermanentUploadError {
                XCTFail("\(code) is worth a retry")
            } catch {}
        }
    }

    func testCancellingDeletesTheUploadTokenAndTheEntryWithoutContent() async throws {
        let recording = try recording(bytes: 10 << 20)
        let stored = try await interruptedDelivery(of: recording, to: target()) { $0.bytesConfirmed > 0 }
        try await target().abort(stored)
        let state = try server.state()
        XCTAssertEqual(state.entries.map(\.status), [3], "the empty entry is deleted")
        XCTAssertEqual(state.tokens.map(\.status), [5], "the upload token is deleted")
    }
}
