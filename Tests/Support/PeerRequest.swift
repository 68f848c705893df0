import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request to a test peer's own hooks (`/_test/seed`, `/_test/state`), made synchronously: the tests set up
/// and read the peer between steps of the daemon.
public enum PeerRequest {
    public static func send(_ request: URLRequest) throws -> Data {
        let done = DispatchSemaphore(value: 0)
        let answer = Answer()
        URLSession.shared.dataTask(with: request) { data, _, error in
            answer.data = data
            answer.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = answer.error { throw error }
        return answer.data ?? Data()
    }

    /// A POST of `body` (JSON) to `url`.
    public static func post(_ url: String, json body: String = "") throws -> Data {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        return try send(request)
    }

    private final class Answer: @unchecked Sendable {
        var data: Data?
        var error: Error?
    }
}
