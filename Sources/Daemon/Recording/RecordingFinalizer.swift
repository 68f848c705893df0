import DurableFiles
import Foundation
import Logging
import Media
import RecorderCore
import SystemIntegration
import Uploads

/// Turns a recording's working file into its finished file and queues its upload, in an order that a crash at
/// any instant can resume; and, after a crash, finishes what was left unfinished the same way.
struct RecordingFinalizer: Sendable {
    let store: RecordingStore
    let config: LiveConfiguration
    let uploads: UploadQueue
    let notifier: SystemdNotifier
    let logger: Logger

    /// The hidden fragmented MP4 a recording is written to.
    static func workingPath(id: String, in folder: String) -> String { "\(folder)/.\(id).recording.mp4" }

    /// Finalizes a recording's file and queues its upload: (1) the final path is chosen and stored; (2) the
    /// working file is renamed to it (a file a crash cut off is first truncated after its last whole fragment);
    /// (3) the result and the upload job are stored in one transaction. A file finished whole (`file`) takes no
    /// pass over its bytes: its hash was computed while it was written. A recording whose file cannot be
    /// finalized is `failed`, keeps its working file, and is tried again at the next start.
    func finalizeAndQueue(_ recording: inout Recording, status: RecordingState, reason: String?, file: RecordingWriter.Summary? = nil) async {
        let logger = logger.with(recording: recording.recordingId)
        let current = config.current
        if recording.path == recording.workingPath {
            recording.path = Self.freePath(for: recording.filename, in: current.recording.outputDirectory)
            recording.filename = (recording.path as NSString).lastPathComponent
            // Not a change of state: stored for recovery, not announced.
            do { try await store.catalog.update(recording) } catch {
                logger.error("cannot store the recording's final path", metadata: ["error": "\(error)"])
            }
        }
        let working = recording.workingPath
        let destination = recording.path
        let result = await keepingSystemdPatient { () throws -> (finalized: MP4Finalizer.Result, sha256: String) in
            if let working, FileManager.default.fileExists(atPath: working) {
                if let file {
                    try MP4Finalizer.finalize(finished: working, to: destination)
                    return (MP4Finalizer.Result(duration: file.duration, size: file.size), try file.sha256 ?? FileDigest.sha256(path: destination))
                }
                let salvaged = try MP4Finalizer.finalize(salvaging: working, to: destination)
                return (salvaged, try FileDigest.sha256(path: destination))
            }
            // Finalized before a crash, but not yet stored.
            guard FileManager.default.fileExists(atPath: destination) else {
                throw FinalizeError("no file was written (\(working ?? destination))")
            }
            let duration = try MP4Finalizer.duration(of: destination)
            return (MP4Finalizer.Result(duration: duration, size: try FileSync.size(of: destination)), try FileDigest.sha256(path: destination))
        }
        switch result {
        case .success(let done):
            recording.status = status
            recording.reason = reason
            recording.duration = done.finalized.duration
            recording.size = done.finalized.size
            recording.sha256 = done.sha256
            recording.workingPath = nil
            let now = Date()
            let job = UploadJob(jobId: UUID().uuidString.lowercased(), recordingId: recording.recordingId, target: current.library.target,
                                nextAttemptAt: now, totalBytes: done.finalized.size, createdAt: now, updatedAt: now)
            do {
                try await store.catalog.finish(recording, queueing: job)
                store.events.publish(.recording, recording: recording)
                store.events.publish(.upload, upload: job)
            } catch {
                logger.critical("cannot store a finished recording; it is finalized again at the next start", metadata: ["error": "\(error)"])
                return
            }
            if let working { try? FileManager.default.removeItem(atPath: working) }
            logger.notice("recording finished and queued for upload", metadata: [
                "status": "\(status.rawValue)", "file": "\(destination)",
                "duration": "\(String(format: "%.2f", done.finalized.duration))", "bytes": "\(done.finalized.size)",
            ])
            await uploads.wake()
        case .failure(let error):
            recording.status = .failed
            // Nothing left to retry from: stop looking for it at every start.
            if let working, !FileManager.default.fileExists(atPath: working) { recording.workingPath = nil }
            recording.reason = [reason, "the file could not be finalized: \(error)"].compactMap { $0 }.joined(separator: "; ")
            await store.save(recording)
            store.events.publish(.warning, recording: recording, message: "the recording could not be finalized: \(error)")
            logger.error("recording could not be finalized; its working file is kept and tried again at the next start",
                         metadata: ["error": "\(error)"])
        }
    }

    /// Runs blocking file work on ``BlockingIO``'s threads while telling systemd, every 10 s, to extend its start
    /// or stop timeout: salvaging and hashing a long recording after a crash takes a while.
    private func keepingSystemdPatient<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async -> Result<T, Error> {
        await withTaskGroup(of: Result<T, Error>?.self) { group in
            group.addTask { [notifier] in
                while !Task.isCancelled {
                    notifier.extendTimeout(seconds: 30)
                    try? await Task.sleep(for: .seconds(10))
                }
                return nil
            }
            group.addTask {
                do { return .success(try await BlockingIO.run(work)) } catch { return .failure(error) }
            }
            var outcome: Result<T, Error> = .failure(FinalizeError("finalizing was cancelled"))
            while let next = await group.next() {
                if let next { outcome = next; group.cancelAll() }
            }
            return outcome
        }
    }

    /// Finalizes recordings a crash left unfinished: the fragmented file is playable up to its last fragment, so
    /// it is turned into a standard MP4, marked `recovered` and queued like any other. Then removes working files
    /// whose recordings were finished and stored before the crash. `inProgress` is the recording being written
    /// now, which is left alone.
    func recoverUnfinished(except inProgress: @Sendable () async -> String?) async {
        let unfinished: [Recording]
        do { unfinished = try await store.catalog.unfinishedRecordings() } catch {
            logger.error("cannot read unfinished recordings", metadata: ["error": "\(error)"])
            return
        }
        let current = await inProgress()
        for var recording in unfinished where recording.recordingId != current {
            logger.warning("finalizing a recording left unfinished", metadata: ["recording": "\(recording.recordingId)", "status": "\(recording.status.rawValue)"])
            if recording.endDate == nil { recording.endDate = Self.modificationDate(of: recording.workingPath ?? recording.path) ?? Date() }
            let status: RecordingState = recording.status == .failed ? .aborted : .recovered
            let reason = recording.status == .failed ? recording.reason
                : "roomrecd stopped while recording; the file was recovered up to its last fragment"
            await finalizeAndQueue(&recording, status: status, reason: reason)
        }
        await sweepWorkingFiles(except: await inProgress())
    }

    /// Deletes hidden working files of recordings that are already finalized and stored.
    private func sweepWorkingFiles(except inProgress: String?) async {
        let folder = config.current.recording.outputDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".recording.mp4") {
            let id = String(name.dropFirst().dropLast(".recording.mp4".count))
            guard id != inProgress, let recording = try? await store.catalog.recording(id: id),
                  recording.workingPath == nil, !recording.status.isInProgress else { continue }
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
            logger.info("removed a working file whose recording was already finalized", metadata: ["recording": "\(id)"])
        }
    }

    /// `<folder>/<fileName>`, numbered when that name is taken.
    private static func freePath(for fileName: String, in folder: String) -> String {
        var n = 1
        while FileManager.default.fileExists(atPath: "\(folder)/\(RecordingName.numbered(fileName, n))") { n += 1 }
        return "\(folder)/\(RecordingName.numbered(fileName, n))"
    }

    private static func modificationDate(of path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// Why a recording's file could not be finalized.
struct FinalizeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
