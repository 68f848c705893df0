import ControlContract
import Foundation
import RecorderCore

/// A recording's file as an HTTP response, honouring a single-range `Range` header (RFC 9110 §14) so a
/// player can seek: 206 with `Content-Range`, 416 when the range lies outside the file, 200 for the whole.
enum MediaResponse {
    static func file(at path: String, range: String?, fileName: String) throws(ControlError) -> ControlResponse {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .notFound("the recording's file is missing: \(path)") }
        let size = Int64(info.st_size)
        let asciiSafe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        let disposition = "inline; filename*=UTF-8''\(fileName.addingPercentEncoding(withAllowedCharacters: asciiSafe) ?? "recording.mp4")"
        var headers = [("Content-Type", "video/mp4"), ("Accept-Ranges", "bytes"), ("Content-Disposition", disposition)]
        guard let range else {
            return ControlResponse(status: 200, headers: headers, body: .file(path: path, offset: 0, length: size))
        }
        let first: Int64, last: Int64
        switch ByteRange.parse(range, size: size) {
        case .ignored:
            return ControlResponse(status: 200, headers: headers, body: .file(path: path, offset: 0, length: size))
        case .bytes(let a, let b):
            (first, last) = (a, b)
        case .unsatisfiable:
            headers.append(("Content-Range", "bytes */\(size)"))
            headers.removeAll { $0.0 == "Content-Type" }
            return ControlResponse(status: 416, headers: headers + [("Content-Type", "application/problem+json")],
                                   body: .data(ControlResponse.problem(Problem(status: 416, title: "Range Not Satisfiable",
                                                                                detail: "\(range) lies outside the file's \(size) bytes")).data))
        }
        headers.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
        return ControlResponse(status: 206, headers: headers, body: .file(path: path, offset: first, length: last - first + 1))
    }
}

/// One byte range of a `Range: bytes=…` header.
enum ByteRange: Equatable {
    /// First and last byte, inclusive.
    case bytes(Int64, Int64)
    /// Well-formed, but no byte of it is in the file: 416.
    case unsatisfiable
    /// Malformed, or several ranges: served as a whole (RFC 9110 lets a server ignore `Range`).
    case ignored

    static func parse(_ header: String, size: Int64) -> ByteRange {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .ignored }
        let spec = trimmed.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .ignored }
        let start = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let end = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard start.allSatisfy(\.isNumber), end.allSatisfy(\.isNumber), !(start.isEmpty && end.isEmpty) else { return .ignored }
        if start.isEmpty {
            guard let suffix = Int64(end) else { return .ignored }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .bytes(max(0, size - suffix), size - 1)
        }
        guard let first = Int64(start) else { return .ignored }
        guard first < size else { return .unsatisfiable }
        if end.isEmpty { return .bytes(first, size - 1) }
        guard let last = Int64(end), last >= first else { return .ignored }
        return .bytes(first, min(last, size - 1))
    }
}
