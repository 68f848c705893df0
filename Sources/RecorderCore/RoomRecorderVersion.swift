import CBuildVersion

/// The version `roomrecd` and `roomrecctl` report: the one `make` stamped from `git describe` (the Debian
/// package's version), or "0.1.0-dev" for a build no `make` stamped.
public enum RoomRecorderVersion {
    public static let current = String(cString: roomrec_build_version())
}
