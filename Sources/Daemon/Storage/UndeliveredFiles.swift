import Catalog
import Foundation
import RecorderCore

/// The files of recordings the media library has not confirmed yet, read from the catalog while no daemon runs.
///
/// The package's `prerm` writes them down when the package is removed (`roomrecd --undelivered`), because its
/// `postrm purge` runs after the binaries are gone and must know which recordings it would destroy: purge
/// refuses to delete them unless asked.
public enum UndeliveredFiles {
    /// Finished recordings not confirmed delivered, and recordings a crash left unfinished (their working file),
    /// as absolute paths. None when the catalog does not exist.
    public static func list(config: RoomRecorderConfig) async throws -> [String] {
        let path = "\(config.daemon.stateDirectory)/roomrec.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let catalog = try CatalogDatabase(path: path)
        defer { try? catalog.close() }
        let waiting = try await catalog.localFiles().filter { $0.confirmedAt == nil }.map(\.recording.path)
        let unfinished = try await catalog.unfinishedRecordings().map { $0.workingPath ?? $0.path }
        return (unfinished + waiting).filter { FileManager.default.fileExists(atPath: $0) }
    }
}
