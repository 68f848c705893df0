import ArgumentParser
import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension RoomRecCtl {
    struct Monitor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A live view of the room for IT over SSH: state, a VU bar per source, alarms, the next recording, the upload queue.",
            discussion: "Redraws in place four times a second on a terminal; prints one frame with --once, or plain frames when the output is not a terminal.")
        @OptionGroup var options: CommonOptions
        @Flag(name: .long, help: "Print one frame and exit.") var once = false

        func run() async throws {
            let terminal = isatty(STDOUT_FILENO) == 1
            repeat {
                let status = try await options.send("GET", "/v1/status").decode(StatusReport.self)
                let frame = Self.render(status, width: terminal ? Self.terminalWidth() : 80, now: Date())
                if once || !terminal {
                    // Not a terminal (a log, a pipe): whole frames, a second apart, each after a blank line.
                    print(frame + (once ? "" : "\n"))
                    if !once { try await Task.sleep(for: .seconds(1)) }
                } else {
                    // Home the cursor and draw over the last frame, clearing what is left of each line and below.
                    let lines = frame.split(separator: "\n", omittingEmptySubsequences: false).map { $0 + "\u{1B}[K" }
                    FileHandle.standardOutput.write(Data(("\u{1B}[H" + lines.joined(separator: "\n") + "\n\u{1B}[J").utf8))
                    try await Task.sleep(for: .milliseconds(250))
                }
            } while !once
        }

        static func terminalWidth() -> Int {
            var size = winsize()
            return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 40 ? Int(size.ws_col) : 80
        }

        /// One frame of the view.
        static func render(_ s: StatusReport, width: Int, now: Date) -> String {
            var lines: [String] = []
            var head = "\(s.room.title) (\(s.room.id))   "
            if let current = s.current {
                head += "● REC \(Format.duration(s.elapsedSeconds ?? 0))  \(current.name)"
            } else {
                head += "idle"
            }
            lines.append(head)
            lines.append(String(repeating: "─", count: min(width, 100)))
            let levels = s.levels ?? []
            if levels.isEmpty {
                lines.append("Sound    no source is open (the microphone opens while the room records or is previewed)")
            }
            let labelWidth = max(8, min(24, levels.map(\.label.count).max() ?? 8))
            let barWidth = max(10, min(width, 100) - labelWidth - 22)
            for level in levels {
                lines.append(level.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + " " + vuBar(level, width: barWidth)
                             + String(format: " %6.1f dBFS peak", level.peakDbfs))
            }
            lines.append("")
            let alarms = s.alarms ?? []
            if alarms.isEmpty {
                lines.append("Alarms   none")
            } else {
                for (index, alarm) in alarms.enumerated() {
                    lines.append((index == 0 ? "Alarms   " : "         ") + "⚠ \(alarm.kind.rawValue): \(alarm.message)")
                }
            }
            if let next = s.next {
                let wait = next.start.timeIntervalSince(now)
                lines.append("Next     \(next.title) at \(Format.date(next.start))" + (wait > 0 ? " (in \(Format.waitingTime(wait)))" : "") + ", from \(next.source)")
            } else {
                lines.append("Next     nothing scheduled in the coming week")
            }
            let counts = s.queue.counts
            var queue = "Uploads  \(counts["uploading"] ?? 0) uploading, \((counts["queued"] ?? 0) + (counts["paused"] ?? 0)) waiting, \(counts["failed"] ?? 0) failed"
            if let held = s.queue.heldReason { queue += " (waiting: \(held))" }
            lines.append(queue)
            if let opencast = s.opencast {
                lines.append("Opencast agent \(opencast.agent): \(opencast.agentState ?? "not sent yet")" + (opencast.lastError.map { "; \($0)" } ?? ""))
            }
            if let disk = s.disk { lines.append("Disk     \(Format.bytes(disk.freeBytes)) free in \(disk.path)") }
            return lines.joined(separator: "\n")
        }

        /// A bar from -60 to 0 dBFS: the RMS filled, the peak marked, the last tenth (above -6 dBFS) drawn as the
        /// danger zone.
        static func vuBar(_ level: SourceLevel, width: Int) -> String {
            func position(_ dbfs: Double) -> Int { Int(((max(-60, min(0, dbfs)) + 60) / 60 * Double(width)).rounded()) }
            let filled = position(level.rmsDbfs)
            let peak = min(width - 1, max(0, position(level.peakDbfs) - 1))
            var cells = (0..<width).map { $0 < filled ? "█" : "·" }
            cells[peak] = level.peakDbfs >= -1 ? "!" : "│"
            return "[" + cells.joined() + "]"
        }
    }
}
