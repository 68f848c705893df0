import Foundation
import RecorderCore
import Uploads

/// The upload targets a configuration names. The local folder is always there, so jobs queued for it before a
/// change of target still complete.
enum UploadTargets {
    static func make(_ library: RoomRecorderConfig.Library, throttle: Throttle?) throws -> [any UploadTarget] {
        var targets: [any UploadTarget] = [LocalFolderTarget(root: library.path, throttle: throttle)]
        if let s3 = library.s3 {
            let credentials = try S3Credentials.load(s3.credentialsFile)
            let client = S3Client(endpoint: .init(url: URL(string: s3.endpoint)!, bucket: s3.bucket, pathStyle: s3.pathStyle),
                                  signer: SigV4Signer(credentials: credentials, region: s3.region))
            targets.append(S3Target(client: client, partSize: s3.partSizeBytes, keyTemplate: s3.keyTemplate, throttle: throttle))
        }
        return targets
    }
}
