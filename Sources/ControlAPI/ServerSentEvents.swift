import ControlContract
import Foundation
import RecorderCore

/// `GET /v1/events` as Server-Sent Events (text/event-stream): one `id:`/`event:`/`data:` block per event, the
/// data being the event as JSON on one line, and a comment every 15 s so idle connections stay open.
public enum ServerSentEvents {
    public static let keepAliveSeconds = 15

    static func response(_ events: AsyncStream<ControlEvent>) -> ControlResponse {
        let (chunks, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .bufferingNewest(1024))
        // Unstructured: the response body outlives the route handler; it ends when the client's stream terminates.
        let pump = Task {
            // A first comment, so a client knows it is subscribed before any event happens.
            continuation.yield(Data(": subscribed\n\n".utf8))
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events { continuation.yield(encode(event)) }
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(keepAliveSeconds))
                        continuation.yield(Data(": keep-alive\n\n".utf8))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return ControlResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .stream(chunks))
    }

    /// One event in the text/event-stream format.
    public static func encode(_ event: ControlEvent) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Data("id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(json)\n\n".utf8)
    }
}
