import Foundation
import Opencast
import RecorderCore

/// The agent's requests to the capture-admin service: each a form POST. A failure is logged once per kind of
/// request until it succeeds again, shown in the status, and quiets the agent's posts for a while (a minute,
/// doubling to ten), so an Opencast that refuses or is away is not asked every ten seconds.
extension OpencastAgent {
    @discardableResult
    func post(state: String, link: Link) async -> Bool {
        var fields = [("state", state)]
        if let address = link.settings.agentAddress { fields.append(("address", address)) }
        guard await send(link, .captureAdmin, ["agents", link.agent], fields, kind: "state", doing: "take the agent's state") else { return false }
        // A reload may have replaced the link meanwhile: what was sent to the old one says nothing of the new.
        guard link.generation == self.link?.generation else { return true }
        lastState = (state, .now())
        status?.agentState = state
        status?.agentStateSentAt = Date()
        publish()
        return true
    }

    func post(recordingState state: String, event uid: String) async {
        guard let link = await currentLink() else { return }
        if await send(link, .captureAdmin, ["recordings", uid], [("state", state)], kind: "recording state", doing: "take the recording state of event \(uid)",
                      quietOn404: true) {
            logger.info("Opencast: recording state posted", metadata: ["event": "\(uid)", "state": "\(state)"])
        }
    }

    func post(capabilities: [String: String], link: Link) async -> Bool {
        let entries = capabilities.sorted { $0.key < $1.key }.map { "<entry key=\"\(XMLText.escaped($0.key))\">\(XMLText.escaped($0.value))</entry>" }
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<!DOCTYPE properties SYSTEM \"http://java.sun.com/dtd/properties.dtd\">\n"
            + "<properties>\n<comment>Capabilities of \(XMLText.escaped(link.agent))</comment>\n" + entries.joined(separator: "\n") + "\n</properties>\n"
        return await send(link, .captureAdmin, ["agents", link.agent, "configuration"], [("configuration", xml)], kind: "capabilities",
                          doing: "take the agent's capabilities")
    }

    /// POSTs a form to a path below a service; false (logged, in the status) when it did not go through.
    func send(_ link: Link, _ service: ServiceDirectory.Service, _ segments: [String], _ fields: [(String, String)], kind: String, doing what: String,
              quietOn404: Bool = false) async -> Bool {
        do {
            let url = OpencastClient.url(try await link.services.endpoint(service), appending: segments)
            let answer = try await link.client.post(url, form: fields)
            if answer.status == 404, quietOn404 {
                logger.info("Opencast does not know this event (not scheduled there)", metadata: ["path": "\(url.path)"])
                return false
            }
            _ = try link.client.require(answer, [200, 201, 204], doing: what, url: url)
            succeeded(kind)
            return true
        } catch {
            failed(kind, "\(error)")
            failures += 1
            quietUntil = .now().advanced(by: min(600, 60 * pow(2, Double(min(failures - 1, 4)))))
            return false
        }
    }

    /// A kind of request went through: its outage, if any, is over.
    func succeeded(_ kind: String) {
        failures = 0
        quietUntil = nil
        if loggedErrors.removeValue(forKey: kind) != nil { logger.notice("Opencast: \(kind) requests go through again") }
        if loggedErrors.isEmpty, status?.lastError != nil {
            status?.lastError = nil
            status?.lastErrorAt = nil
            publish()
        }
    }

    /// A kind of request failed: logged when its message is new, and shown in the status.
    func failed(_ kind: String, _ message: String) {
        if loggedErrors[kind] != message { logger.warning("Opencast: \(message)") }
        loggedErrors[kind] = message
        status?.lastError = message
        status?.lastErrorAt = Date()
        publish()
    }

    func publish() {
        let shown = status
        board.update { $0.opencast = shown }
    }
}
