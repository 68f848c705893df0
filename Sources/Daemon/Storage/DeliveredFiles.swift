import Catalog
import Foundation
import RecorderCore

/// The local files of recordings the media library has confirmed, read from the catalog while no daemon runs.
///
/// The package's `prerm` writes them down when the package is removed (`roomrecd --delivered`), because its
/// `postrm purge` runs after the binaries are gone and must know which recordings it may destroy: every other
/// recording file under `/var/lib/roomrec` (not delivered, unfinished, or a local library kept there) makes purge
/// refuse unless asked. Listing what may go, not what must stay, keeps a catalog that cannot be read on the safe side.
public enum DeliveredFiles {
    /// Finished recordings whose delivery the media library confirmed and whose local file is still there, as
    /// absolute paths. Fails when there is no catalog to read.
    public static func list(config: RoomRecorderConfig) async throws -> [String] {
        let path = "\(config.daemon.stateDirectory)/roomrec.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "no catalog at \(path)"])
        }
        let catalog = try CatalogDatabase(path: path)
        defer { try? catalog.close() }
        return try await catalog.localFiles().filter { $0.confirmedAt != nil }.map(\.recording.path)
            .filter { FileManager.default.fileExists(atPath: $0) }
    }
}
