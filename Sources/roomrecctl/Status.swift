import ArgumentParser
import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension RoomRecCtl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the daemon is doing.")
        @OptionGroup var options: CommonOptions

        @Flag(name: .long, help: "Redraw every second, with the recording's timer and the uploads' progress.") var watch = false

        func run() async throws {
            if watch { try await options.watch("/v1/status", render: Self.render) } else { try await options.call("GET", "/v1/status", render: Self.render) }
        }

        /// The Opencast capture agent: what it last told Opencast, its calendar, and what went wrong.
        static func opencastRows(_ opencast: OpencastStatus) -> [[String]] {
            var line = "agent \"\(opencast.agent)\" at \(opencast.server)"
            if let state = opencast.agentState {
                line += ", \(state)" + (opencast.agentStateSentAt.map { " (sent \(Format.waitingTime(-$0.timeIntervalSinceNow)) ago)" } ?? "")
            } else {
                line += ", no state sent yet"
            }
            var rows = [["Opencast", line]]
            if let problem = opencast.problem { rows.append(["", "error: \(problem)"]) }
            let fetched = opencast.lastCalendarFetch.map { "read \(Format.waitingTime(-$0.timeIntervalSinceNow)) ago" } ?? "not read yet"
            rows.append(["", "calendar: \(opencast.calendarEvents) events, \(fetched); \(opencast.etagHits) unchanged (ETag), "
                         + "\(opencast.calendarChanges) changed, \(opencast.calendarFailures) failed"])
            if let error = opencast.lastError {
                rows.append(["", "last error" + (opencast.lastErrorAt.map { " (\(Format.date($0)))" } ?? "") + ": \(error)"])
            }
            return rows
        }

        static func render(_ response: ControlClient.Response) throws -> String {
            let s = try response.decode(StatusReport.self)
            var rows: [[String]] = [
                ["State", s.state.rawValue],
                ["Room", "\(s.room.title) (\(s.room.id), \(s.room.type.rawValue))"],
            ]
            if let current = s.current {
                rows.append(["Recording", "● REC \(Format.duration(s.elapsedSeconds ?? 0))  \(current.name) [\(current.status.rawValue)]"])
            }
            if let next = s.next {
                let wait = next.start.timeIntervalSinceNow
                rows.append(["Next", "\(next.title) at \(Format.date(next.start))" + (wait > 0 ? " (in \(Format.waitingTime(wait)))" : "") + ", from \(next.source)"])
            }
            rows.append(["Encoder", "\(s.encoder.video) / \(s.encoder.audio)" + (s.encoder.reason.map { " (\($0))" } ?? "")])
            if let p = s.pipeline {
                let dropped = p.framesDropped.isEmpty ? "none dropped"
                    : p.framesDropped.sorted { $0.key < $1.key }.map { "\($0.value) dropped (\($0.key))" }.joined(separator: ", ")
                rows.append(["Pipeline", "\(p.layout) layout, \(String(format: "%.2f", p.realTimeFactor))× real time, \(p.framesEncoded) frames, \(dropped), "
                             + "A/V offset \(String(format: "%.1f", p.avOffsetMs)) ms"])
            }
            if let session = s.session {
                // WHIP publishes into an endpoint and hears of no one else.
                var line = session.connector == "whip" ? "\(session.state.rawValue), whip endpoint \(session.room)"
                    : "\(session.state.rawValue), \(session.connector) room \(session.room)" + (session.breakout.map { " (breakout \($0))" } ?? "")
                        + ", \(session.participants.count) on stage"
                if session.reconnects > 0 { line += ", \(session.reconnects) reconnects" }
                if let error = session.lastError { line += "; \(error)" }
                rows.append(["Session", line])
                if let out = session.publishing {
                    let estimate = out.estimateKbps.map { ", session estimate \($0) kbps" } ?? ""
                    rows.append(["", "publishing \(out.resolution ?? "(no picture yet)"): video \(Int(out.videoKbps)) kbps (target \(out.videoTargetKbps)\(estimate)), "
                                 + "audio \(Int(out.audioKbps)) kbps, \(out.keyframeRequests) keyframes asked"])
                }
                for participant in session.participants {
                    let tracks = participant.tracks.map { track in
                        let received = session.receiving.first { $0.participantId == participant.id && $0.kind == track.kind }
                        return "\(track.isScreen ? "screen" : track.kind.rawValue) \(track.codec)" + (received.map { " \(Int($0.kbps)) kbps" + ($0.lossPercent.map { String(format: ", %.1f%% lost", $0) } ?? "") } ?? "")
                    }.joined(separator: ", ")
                    rows.append(["", "\(participant.display)" + (participant.role == .participant ? "" : " (\(participant.role.rawValue))")
                                 + (tracks.isEmpty ? "" : ": \(tracks)") + (participant.talking ? ", speaking" : "")])
                }
                if !session.hostPresent, let left = session.hostLeftAt {
                    rows.append(["", "the host left at \(Format.date(left))"])
                }
            }
            if let opencast = s.opencast { rows += Self.opencastRows(opencast) }
            for device in s.devices {
                rows.append([device.kind.rawValue.capitalized, "\(device.name) (\(device.id))\(device.inUse ? " in use" : "")"])
            }
            if let disk = s.disk {
                rows.append(["Disk", "\(Format.bytes(disk.freeBytes)) free of \(Format.bytes(disk.totalBytes)) (\(disk.path))"])
            }
            let queue = s.queue.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            rows.append(["Uploads", (queue.isEmpty ? "none" : queue) + (s.queue.heldReason.map { "; waiting: \($0)" } ?? "")])
            rows.append(["Uptime", Format.duration(s.uptimeSeconds)])
            rows.append(["Version", s.version])
            return Format.table(header: nil, rows: rows)
        }
    }
}
