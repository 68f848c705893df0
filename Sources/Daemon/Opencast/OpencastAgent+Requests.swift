import Foundation
import Opencast

/// The agent's requests to the capture-admin service: each a form POST whose failure is logged once, shown in the
/// status, and tried again at the next beat.
extension OpencastAgent {
    @discardableResult
    func post(state: String, link given: Link? = nil) async -> Bool {
        guard let link = given ?? link else { return false }
        var fields = [("state", state)]
        if let address = link.settings.agentAddress { fields.append(("address", address)) }
        guard await send(link, .captureAdmin, ["agents", link.agent], fields, doing: "take the agent's state") else { return false }
        lastState = (state, .now())
        status?.agentState = state
        status?.agentStateSentAt = Date()
        publish()
        return true
    }

    func post(recordingState state: String, event uid: String) async {
        guard let link = currentLink() else { return }
        if await send(link, .captureAdmin, ["recordings", uid], [("state", state)], doing: "take the recording state of event \(uid)", quietOn404: true) {
            logger.info("Opencast: recording state posted", metadata: ["event": "\(uid)", "state": "\(state)"])
        }
    }

    func post(capabilities: [String: String], link: Link) async -> Bool {
        let entries = capabilities.sorted { $0.key < $1.key }.map { "<entry key=\"\(Self.escaped($0.key))\">\(Self.escaped($0.value))</entry>" }
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<!DOCTYPE properties SYSTEM \"http://java.sun.com/dtd/properties.dtd\">\n"
            + "<properties>\n<comment>Capabilities of \(Self.escaped(link.agent))</comment>\n" + entries.joined(separator: "\n") + "\n</properties>\n"
        return await send(link, .captureAdmin, ["agents", link.agent, "configuration"], [("configuration", xml)], doing: "take the agent's capabilities")
    }

    /// POSTs a form to a path below a service; false (logged, in the status) when it did not go through.
    func send(_ link: Link, _ service: ServiceDirectory.Service, _ segments: [String], _ fields: [(String, String)], doing what: String,
                      quietOn404: Bool = false) async -> Bool {
        do {
            var url = try await link.services.endpoint(service)
            for segment in segments { url.appendPathComponent(segment) }
            let answer = try await link.client.post(url, form: fields)
            if answer.status == 404, quietOn404 {
                logger.info("Opencast does not know this event (not scheduled there)", metadata: ["path": "\(url.path)"])
                return false
            }
            _ = try link.client.require(answer, [200, 201, 204], doing: what, url: url)
            if status?.lastError != nil { status?.lastError = nil; status?.lastErrorAt = nil; publish() }
            return true
        } catch {
            failed("\(error)")
            return false
        }
    }

    func failed(_ message: String) {
        if status?.lastError != message { logger.warning("Opencast: \(message)") }
        status?.lastError = message
        status?.lastErrorAt = Date()
        publish()
    }

    func publish() {
        let shown = status
        board.update { $0.opencast = shown }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
