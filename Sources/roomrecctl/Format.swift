import ControlContract
import Foundation
import RecorderCore

/// Human formatting for roomrecctl's tables.
enum Format {
    static func table(header: [String]?, rows: [[String]]) -> String {
        let all = (header.map { [$0] } ?? []) + rows
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in all.map { $0.count > c ? $0[c].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }

    /// "2 h 10 min", "45 min", "under a minute": how long until something, as a person says it.
    static func waitingTime(_ seconds: Double) -> String {
        let minutes = Int((seconds / 60).rounded(.up))
        if seconds < 60 { return "under a minute" }
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h" + (minutes % 60 == 0 ? "" : " \(minutes % 60) min") }
        return "\(minutes / (24 * 60)) days"
    }

    static func bytes(_ count: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: count, countStyle: .file)
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func progress(_ done: Int64, of total: Int64) -> String {
        guard total > 0 else { return "-" }
        let fraction = min(1, Double(done) / Double(total))
        let filled = Int((fraction * 10).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 10 - filled) + "] \(Int(fraction * 100))%"
    }

    static func event(_ event: ControlEvent) -> String {
        let time = date(event.time)
        switch event.type {
        case .recording:
            guard let r = event.recording else { return "\(time) recording" }
            return "\(time) recording \(r.recordingId.prefix(8)) \(r.status.rawValue)  \(r.name)" + (r.reason.map { " (\($0))" } ?? "")
        case .upload:
            guard let j = event.upload else { return "\(time) upload" }
            return "\(time) upload \(j.jobId.prefix(8)) \(j.state.rawValue) \(progress(j.bytesConfirmed, of: j.totalBytes))"
        case .warning, .config, .device, .session:
            return "\(time) \(event.type.rawValue): \(event.message ?? "")"
        case .alarm:
            guard let alarm = event.alarm else { return "\(time) alarm" }
            return "\(time) alarm \(alarm.kind.rawValue) " + (event.cleared == true ? "ended" : "raised: \(alarm.message)")
        case .levels:
            return "\(time) levels " + (event.levels ?? []).map { "\($0.label) \(Int($0.peakDbfs.rounded())) dBFS" }.joined(separator: ", ")
        }
    }

    /// An ISO 8601 date-time, or HH:MM today in local time.
    static func parseTime(_ text: String) -> Date? {
        if let date = ISO8601.date(text) { return date }
        let parts = text.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2, (0..<24).contains(parts[0]), (0..<60).contains(parts[1]) else { return nil }
        return Calendar.current.date(bySettingHour: parts[0], minute: parts[1], second: 0, of: Date())
    }
}
