import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request to a test peer's own hooks (`/_test/seed`, `/_test/state`), made synchronously: the tests set up
/// and read the peer between steps of the daemon.
public enum PeerRequest {
    /// An answer: its HTTP status and its body.
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `request` and returns its body, whatever its status.
    public static func send(_ request: URLRequest) throws -> Data {
        try answer(request).body
    }

    /// Sends `request` and returns its status and body; throws when no HTTP answer came.
    public static func answer(_ request: URLRequest) throws -> Answer {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.data = data
            box.status = (response as? HTTPURLResponse)?.statusCode
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error { throw error }
        guard let status = box.status else {
            throw ProcessRunner.Failure(message: "no HTTP answer to \(request.httpMethod ?? "GET") \(request.url?.absoluteString ?? "")")
        }
        return Answer(status: status, body: box.data ?? Data())
    }

    /// `method` of `url` with a 5 s timeout and, if given, a JSON body.
    public static func answer(_ method: String, _ url: URL, json body: Data? = nil) throws -> Answer {
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        return try answer(request)
    }

    /// A POST of `body` (JSON) to `url`.
    public static func post(_ url: String, json body: String = "") throws -> Data {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        return try send(request)
    }

    private final class Box: @unchecked Sendable {
        var data: Data?
        var status: Int?
        var error: Error?
    }
}
