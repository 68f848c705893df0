import Foundation

/// A token bucket shared by every upload: bytes are taken before they are sent, and a taker waits until the
/// bucket has them, so the queue as a whole stays under `bytesPerSecond` (a classroom network is shared).
/// The bucket holds at most one second of bytes, so an idle pause does not buy a long burst.
public actor Throttle {
    /// Bytes per second; 0 means no limit.
    public let bytesPerSecond: Int
    private var available: Double = 0
    private var updated = ContinuousClock.now

    public init(bytesPerSecond: Int) { self.bytesPerSecond = bytesPerSecond }

    /// Waits until `bytes` may be sent.
    public func take(_ bytes: Int) async throws {
        guard bytesPerSecond > 0 else { return }
        refill()
        available -= Double(bytes)
        if available < 0 {
            let wait = -available / Double(bytesPerSecond)
            try await Task.sleep(for: .seconds(wait))
        }
    }

    private func refill() {
        let now = ContinuousClock.now
        let elapsed = now - updated
        updated = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        available = min(Double(bytesPerSecond), available + seconds * Double(bytesPerSecond))
    }
}
