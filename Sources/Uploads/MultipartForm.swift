import Foundation
import Networking

/// A `multipart/form-data` body (RFC 7578) whose file content is streamed, not held in memory.
public struct MultipartForm: Sendable {
    public init() {}

    public let boundary = "roomrec-" + UUID().uuidString
    private var parts: [HTTPTransport.BodyPart] = []
    private var text = Data()

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func add(_ name: String, _ value: String) {
        text.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8))
        text.append(Data(value.utf8))
        text.append(Data("\r\n".utf8))
    }

    /// A file part; its content is read from the file as it is sent.
    public mutating func addFile(_ name: String, filename: String, contentType: String = "application/octet-stream", content: HTTPTransport.BodyPart) {
        text.append(Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; filename=\"\(Self.quoted(filename))\"\r\n"
                          + "Content-Type: \(contentType)\r\n\r\n").utf8))
        parts += [.bytes(text), content]
        text = Data("\r\n".utf8)
    }

    /// The body's pieces, the closing boundary added.
    public mutating func finish() -> [HTTPTransport.BodyPart] {
        text.append(Data("--\(boundary)--\r\n".utf8))
        return parts + [.bytes(text)]
    }

    /// Field names and file names go in a quoted string: no quotes or line breaks.
    private static func quoted(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\"" || $0 == "\r" || $0 == "\n" ? "_" : Character($0) })
    }
}
