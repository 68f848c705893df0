import Foundation

/// The name room platforms give a recording, "Rec - <date and timestamp> - <meeting title>", and the file name
/// made from it that is safe on every filesystem a recording may be copied to (ext4, NTFS, FAT/exFAT, SMB, S3).
public struct RecordingName: Equatable, Sendable {
    /// The display name, e.g. `Rec - 2026-11-23 14:05:09 - Physics 101`.
    public let displayName: String
    /// The file name, e.g. `Rec - 2026-11-23 14-05-09 - Physics 101.mp4`.
    public let fileName: String

    /// Longest file name in UTF-8 bytes; 255 is the limit of ext4, NTFS and exFAT, and some tools need room for
    /// a suffix such as " (2)" or ".part".
    public static let maxFileNameBytes = 200

    public init(startedAt: Date, title: String, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: startedAt)
        let date = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
        let cleanTitle = Self.collapseWhitespace(title)
        displayName = "Rec - \(date) \(String(format: "%02d:%02d:%02d", c.hour!, c.minute!, c.second!)) - \(cleanTitle)"
        let stem = "Rec - \(date) \(String(format: "%02d-%02d-%02d", c.hour!, c.minute!, c.second!)) - "
        var safeTitle = Self.safeFileComponent(cleanTitle)
        if safeTitle.isEmpty { safeTitle = "Recording" }
        let budget = Self.maxFileNameBytes - stem.utf8.count - ".mp4".utf8.count
        fileName = stem + Self.truncate(safeTitle, toUTF8Bytes: budget) + ".mp4"
    }

    /// `name` with " (n)" before the extension, for a second file of the same name.
    public static func numbered(_ fileName: String, _ n: Int) -> String {
        guard n > 1 else { return fileName }
        let ext = (fileName as NSString).pathExtension
        let stem = (fileName as NSString).deletingPathExtension
        return ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)"
    }

    /// Replaces what some filesystem forbids: control characters, `/ \ : * ? " < > |`, and trailing dots and
    /// spaces (Windows drops them); a leading dot would hide the file.
    public static func safeFileComponent(_ text: String) -> String {
        let forbidden = Set("/\\:*?\"<>|")
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7F || forbidden.contains(Character(s)) {
                scalars.append("_")
            } else {
                scalars.append(s)
            }
        }
        var result = String(scalars)
        while let last = result.last, last == "." || last == " " { result.removeLast() }
        while result.first == "." { result.removeFirst() }
        return result
    }

    private static func collapseWhitespace(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
    }

    /// Cuts `text` to at most `bytes` UTF-8 bytes without splitting a character.
    static func truncate(_ text: String, toUTF8Bytes bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = String(character).utf8.count
            guard used + size <= bytes else { break }
            result.append(character)
            used += size
        }
        while let last = result.last, last == "." || last == " " { result.removeLast() }
        return result
    }
}
