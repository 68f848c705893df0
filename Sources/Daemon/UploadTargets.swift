import Foundation
import Networking
import Opencast
import RecorderCore
import Uploads

/// The upload targets a configuration names. The local folder is always there, so jobs queued for it before a
/// change of target still complete.
enum UploadTargets {
    static func make(_ config: RoomRecorderConfig, throttle: Throttle?, opencastStore: (any OpencastIngestStore)?) throws -> [any UploadTarget] {
        let library = config.library
        var targets: [any UploadTarget] = [LocalFolderTarget(root: library.path, throttle: throttle)]
        if let s3 = library.s3 {
            let credentials = try S3Credentials.load(s3.credentialsFile)
            let client = S3Client(endpoint: .init(url: URL(string: s3.endpoint)!, bucket: s3.bucket, pathStyle: s3.pathStyle),
                                  signer: SigV4Signer(credentials: credentials, region: s3.region), checksums: s3.checksums)
            targets.append(S3Target(client: client, partSize: s3.partSizeBytes, keyTemplate: s3.keyTemplate, throttle: throttle))
        }
        if let kaltura = library.kaltura {
            let (client, session) = try KalturaSession.configured(by: kaltura)
            targets.append(KalturaTarget(client: client, session: session, categoryId: kaltura.categoryId, chunkSize: kaltura.chunkSizeBytes,
                                         throttle: throttle))
        }
        if let opencast = config.opencast, let opencastStore {
            // No total time for a request: a long upload goes on while it moves; 5 minutes without progress ends it.
            let client = try OpencastClient.configured(by: opencast, timeout: 300)
            targets.append(OpencastTarget(client: client, services: ServiceDirectory(client: client, settings: opencast), store: opencastStore,
                                          settings: opencast, agent: opencast.agent(in: config.room), throttle: throttle))
        }
        return targets
    }
}
