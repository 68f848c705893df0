import CGStreamer
import Foundation
import RecorderCore
import Synchronization

/// GStreamer's one-time set-up for the process, and what the sending and the receiving webrtcbin both do.
enum GStreamer {
    private static let initialized: Result<Void, JanusError> = {
        var error: UnsafeMutablePointer<GError>?
        guard gst_init_check(nil, nil, &error) != 0 else {
            let reason = error.map { String(cString: $0.pointee.message) } ?? "unknown"
            return .failure(JanusError("GStreamer could not start: \(reason)"))
        }
        return .success(())
    }()

    static func initialize() throws { try initialized.get() }

    /// Runs blocking webrtcbin work (making an offer or an answer, taking one, reading the numbers) on threads of
    /// its own, off Swift's shared pool as ``BlockingIO`` does, except that a cancelled caller stops waiting for it.
    /// webrtcbin drops a request it had queued when it stops at that moment, without answering its promise, so the
    /// work may never return; the join whose child started it must end all the same (the work ends on its thread, or
    /// never does, keeping what it uses alive).
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let waiter = Waiter<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard waiter.wait(continuation) else { return }
                blockingQueue.async { waiter.resume(with: Result { try work() }) }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    private static let blockingQueue = DispatchQueue(label: "roomrec.webrtc", attributes: .concurrent)

    /// A caller of ``blocking(_:)``, resumed once: by the work or by its cancellation, whichever comes first.
    private final class Waiter<T: Sendable>: Sendable {
        private enum State {
            case starting
            case waiting(CheckedContinuation<T, any Error>)
            case resumed
        }
        // The task's cancellation handler and the work's thread both resume it.
        private let state = Mutex<State>(.starting)

        /// False if it was cancelled before it waited: it is resumed at once, and the work need not start.
        func wait(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state in
                guard case .starting = state else { return true }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func resume(with result: Result<T, any Error>) {
            let waiting = state.withLock { state -> CheckedContinuation<T, any Error>? in
                defer { state = .resumed }
                guard case .waiting(let continuation) = state else { return nil }
                return continuation
            }
            waiting?.resume(with: result)
        }
    }

    /// The nick of an enum property's value (`complete`, `connected`, `open`, …), or "" if it has none.
    static func nick(_ object: UnsafeMutableRawPointer, _ property: String) -> String {
        rr_get_enum_nick(object, property).map { String(cString: $0) } ?? ""
    }

    /// Has webrtcbin make its `offer` or `answer` (the remote description, if any, already set), applies it as
    /// the local description, waits until ICE gathering is complete and returns the SDP with every local
    /// candidate in it: no trickle. Blocks while GStreamer works (a few hundred milliseconds), so it is called
    /// off the cooperative pool; gives up when `stopped` is set or after 10 s.
    static func localDescription(_ kind: String, of webrtc: UnsafeMutablePointer<GstElement>, stopped: borrowing Atomic<Bool>) throws -> String {
        let created = gst_promise_new()
        defer { gst_promise_unref(created) }
        if kind == "offer" { rr_webrtc_create_offer(webrtc, created) } else { rr_webrtc_create_answer(webrtc, created) }
        guard let description = rr_promise_description(created, kind) else {
            throw JanusError("webrtcbin made no \(kind): \(rr_promise_error(created).map { String(cString: $0) } ?? "no reason given")")
        }
        let local = gst_promise_new()
        defer { gst_promise_unref(local) }
        rr_webrtc_set_local(webrtc, description, local)
        guard rr_promise_wait_ok(local) != 0 else { throw JanusError("webrtcbin refused its own \(kind)") }
        let deadline = MonotonicInstant.now().advanced(by: 10)
        while nick(webrtc, "ice-gathering-state") != "complete" {
            guard !stopped.load(ordering: .relaxed) else { throw JanusError("the connection was stopped") }
            guard MonotonicInstant.now() < deadline else { throw JanusError("ICE gathering did not complete within 10 s") }
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard let text = rr_webrtc_local_sdp(webrtc) else { throw JanusError("webrtcbin has no local description") }
        defer { g_free(text) }
        return String(cString: text)
    }
}
