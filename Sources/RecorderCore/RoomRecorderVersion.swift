/// The version `roomrecd` and `roomrecctl` report.
public enum RoomRecorderVersion {
    public static let current = "0.1.0"
}
