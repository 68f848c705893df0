import Foundation
@testable import Opencast
import XCTest

/// The formats Opencast speaks, read and written by the agent: Digest answers, the service registry, the
/// calendar with its attachments, media packages and workflows.
final class OpencastFormatsTests: XCTestCase {
    func testDigestAnswerIsRFC2617sExample() throws {
        let challenge = try XCTUnwrap(DigestAuthorization.Challenge(
            header: #"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#))
        XCTAssertEqual(challenge.qop, "auth")
        let header = DigestAuthorization.header(user: "Mufasa", password: "Circle Of Life", method: "GET", uri: "/dir/index.html",
                                                challenge: challenge, count: 1, cnonce: "0a4f113b")
        XCTAssertTrue(header.contains(#"response="6629fae49393a05397450978507c4ef1""#), header)
        XCTAssertTrue(header.contains("nc=00000001"), header)
        XCTAssertTrue(header.contains(#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#), header)
    }

    func testDigestChallengeOfOpencastWithStaleNonce() throws {
        let challenge = try XCTUnwrap(DigestAuthorization.Challenge(header: #"Digest realm="Opencast", qop="auth", nonce="MTc5Njo=", stale="true""#))
        XCTAssertEqual(challenge.realm, "Opencast")
        XCTAssertEqual(challenge.nonce, "MTc5Njo=")
        XCTAssertTrue(challenge.stale)
        XCTAssertNil(DigestAuthorization.Challenge(header: #"Basic realm="Opencast""#))
    }

    func testServiceRegistryShapes() throws {
        let one = #"{"services":{"service":{"type":"org.opencastproject.ingest","host":"http:\/\/a.example:8080","path":"\/ingest","active":true,"online":true,"maintenance":false}}}"#
        XCTAssertEqual(try ServiceDirectory.usableHosts(in: Data(one.utf8)).map(\.absoluteString), ["http://a.example:8080/ingest"])
        let many = """
            {"services":{"service":[{"host":"http://down.example","path":"/ingest","active":true,"online":false,"maintenance":false},
            {"host":"http://busy.example","path":"/ingest","active":true,"online":true,"maintenance":true},
            {"host":"http://off.example","path":"/ingest","active":false,"online":true,"maintenance":false},
            {"host":"http://b.example/","path":"/oc/ingest","active":true,"online":true,"maintenance":false}]}}
            """
        XCTAssertEqual(try ServiceDirectory.usableHosts(in: Data(many.utf8)).map(\.absoluteString), ["http://b.example/oc/ingest"])
        XCTAssertEqual(try ServiceDirectory.usableHosts(in: Data(#"{"services":""}"#.utf8)), [])
        XCTAssertThrowsError(try ServiceDirectory.usableHosts(in: Data("<html>login</html>".utf8)))
    }

    func testCalendarWithFoldedLinesAndAttachments() throws {
        let properties = "event.title=Lecture = 1\ncapture.device.names=camera,microphone\norg.opencastproject.workflow.definition=fast\n"
            + "org.opencastproject.workflow.config.straightToPublishing=true\n"
        let episode = """
            <?xml version="1.0" encoding="UTF-8"?><dublincore xmlns="http://www.opencastproject.org/xsd/1.0/dublincore/" xmlns:dcterms="http://purl.org/dc/terms/">
            <dcterms:creator>Emmy Noether</dcterms:creator><dcterms:creator>Ada Lovelace</dcterms:creator><dcterms:isPartOf>series-1</dcterms:isPartOf></dublincore>
            """
        let attach = "ATTACH;FMTTYPE=application/text;VALUE=BINARY;ENCODING=BASE64;X-APPLE-FILENAME=org.opencastproject.capture.agent.properties:"
            + Data(properties.utf8).base64EncodedString()
        let episodeAttach = "ATTACH;FMTTYPE=application/xml;VALUE=BINARY;ENCODING=BASE64;X-APPLE-FILENAME=episode.xml:" + Data(episode.utf8).base64EncodedString()
        let text = (["BEGIN:VCALENDAR", "PRODID:Opencast Calendar File 0.5", "VERSION:2.0", "CALSCALE:GREGORIAN", "BEGIN:VEVENT",
                     "DTSTAMP:20261206T135836Z", "DTSTART:20261206T140836Z", "DTEND:20261206T150836Z", "SUMMARY:Lecture 1\\; mechanics\\, part 1",
                     "UID:ev-1", "LOCATION:room 1"] + Self.folded(attach) + Self.folded(episodeAttach) + ["END:VEVENT", "END:VCALENDAR"])
            .joined(separator: "\r\n") + "\r\n"
        let calendar = try OpencastCalendar(parsing: text)
        let event = try XCTUnwrap(calendar.events.first)
        XCTAssertEqual(calendar.events.count, 1)
        XCTAssertEqual(event.uid, "ev-1")
        XCTAssertEqual(event.title, "Lecture 1; mechanics, part 1")
        XCTAssertEqual(event.start, ISO8601DateFormatter().date(from: "2026-12-06T14:08:36Z"))
        XCTAssertEqual(event.end.timeIntervalSince(event.start), 3600)
        XCTAssertEqual(event.properties["event.title"], "Lecture = 1")
        XCTAssertEqual(event.workflowDefinition, "fast")
        XCTAssertEqual(event.workflowConfiguration, ["straightToPublishing": "true"])
        XCTAssertEqual(event.inputs, ["camera", "microphone"])
        XCTAssertEqual(event.presenters, ["Emmy Noether", "Ada Lovelace"])
        XCTAssertEqual(event.series, "series-1")
    }

    /// RFC 5545 folding at 75 octets: CRLF and a space.
    static func folded(_ line: String) -> [String] {
        var rest = Substring(line)
        var lines = [String(rest.prefix(75))]
        rest = rest.dropFirst(75)
        while !rest.isEmpty {
            lines.append(" " + rest.prefix(74))
            rest = rest.dropFirst(74)
        }
        return lines
    }

    func testMediaPackageAndWorkflowAnswers() throws {
        let xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><mediapackage xmlns="http://mediapackage.opencastproject.org" id="mp-1" start="2026-12-06T13:59:24Z"><media><track id="t-1" type="presenter/source"><mimetype>video/mp4</mimetype></track></media><metadata/></mediapackage>"#
        let package = try MediaPackage(xml: xml)
        XCTAssertEqual(package.id, "mp-1")
        XCTAssertEqual(package.trackIDs, ["t-1"])
        XCTAssertThrowsError(try MediaPackage(xml: #"<mediapackage id="x"/>"#), "not in Opencast's namespace")
        let workflow = try WorkflowInstance(xml: Data(#"<wf:workflow xmlns:wf="http://workflow.opencastproject.org" id="1000" state="INSTANTIATED"><wf:mediaPackageId>ev-1</wf:mediaPackageId></wf:workflow>"#.utf8))
        XCTAssertEqual(workflow, WorkflowInstance(id: "1000", state: "INSTANTIATED", mediaPackageID: "ev-1"))
        XCTAssertEqual(try WorkflowInstance.list(json: Data(#"{"workflows":""}"#.utf8)), [])
        XCTAssertEqual(try WorkflowInstance.list(json: Data(#"{"workflows":{"workflow":{"id":1000,"state":"SUCCEEDED","mediaPackageId":"ev-1"}}}"#.utf8)).map(\.id), ["1000"])
    }

    func testEpisodeCatalogIsEscapedAndReadBack() {
        let start = Date(timeIntervalSince1970: 1_796_565_516)
        let xml = DublinCore.episode(title: "Q&A <live>", agent: "room 1", start: start, end: start + 3600, presenters: ["A & B"])
        let read = DublinCore(xml: Data(xml.utf8))
        XCTAssertEqual(read.values["title"], ["Q&A <live>"])
        XCTAssertEqual(read.values["spatial"], ["room 1"])
        XCTAssertEqual(read.values["creator"], ["A & B"])
        XCTAssertEqual(read.values["created"], ["2026-12-06T13:58:36Z"])
        XCTAssertEqual(read.values["temporal"], ["start=2026-12-06T13:58:36Z; end=2026-12-06T14:58:36Z; scheme=W3C-DTF;"])
    }

    func testFormEncodingKeepsXMLIntact() {
        XCTAssertEqual(OpencastClient.formEncoded("a b&c=<d>/é"), "a+b%26c%3D%3Cd%3E%2F%C3%A9")
    }
}
