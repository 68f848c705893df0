import ControlClient
import Foundation
import RecorderCore

extension ControlClient {
    /// `GET /v1/uploads` body.
    struct UploadList: Decodable { var uploads: [UploadJob] }

    /// Polls `GET /v1/uploads` until the job of `recordingId` (or the newest job) satisfies `condition`, at most
    /// `attempts` looks `interval` apart; then fails with the last listing and `context` (a daemon's log, say).
    public func waitForUpload(of recordingId: String? = nil, attempts: Int = 600, every interval: Duration = .milliseconds(100),
                              context: @autoclosure () -> String = "", _ condition: (UploadJob) -> Bool) async throws -> UploadJob {
        var last: [UploadJob] = []
        for _ in 0..<attempts {
            last = try await send("GET", "/v1/uploads").decode(UploadList.self).uploads
            if let job = last.first(where: { recordingId == nil || $0.recordingId == recordingId }), condition(job) { return job }
            try await Task.sleep(for: interval)
        }
        throw ProcessRunner.Failure(message: "the upload never reached the expected state: \(last); \(context())")
    }
}
