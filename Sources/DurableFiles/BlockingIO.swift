import Foundation

/// Runs blocking work (file work such as hashing and copying with fsync; a GStreamer call that waits for its
/// answer) on threads of its own, so it never occupies the few threads Swift concurrency shares among the control
/// socket, the watchdog and the queue.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "roomrec.blocking-io", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
