import ControlAPI
import ControlContract
import Foundation
import RecorderCore
import XCTest

/// Every route under every role: refused with 403 below its role, served at and above it; and the role each
/// route needs is the one `docs/control-api.yaml` names in its summary.
final class RoleMatrixTests: XCTestCase {
    func testEveryRouteRefusesRolesBelowItsOwnAndServesTheRest() async throws {
        let router = ControlRoutes.router(for: ControlServerTests.MemoryService())
        for route in router.routes where route.pattern != "/v1/events" {
            let path = route.pattern.replacingOccurrences(of: "{id}", with: "x")
                + (route.pattern == "/v1/recordings/download" || (route.method == "DELETE" && route.pattern == "/v1/recordings") ? "?recordingIds=x" : "")
            for role in Role.allCases {
                let request = ControlRequest(method: route.method, target: path, headers: [], body: Data(),
                                             caller: Caller(uid: 1000, gid: 1000, pid: 1, role: role))
                let response = await router.handle(request)
                if role < route.role {
                    XCTAssertEqual(response.status, 403, "\(route.method) \(route.pattern) as \(role)")
                    XCTAssertTrue(String(decoding: response.data, as: UTF8.self).contains("needs the \(route.role) role"))
                } else {
                    XCTAssertNotEqual(response.status, 403, "\(route.method) \(route.pattern) as \(role)")
                }
            }
        }
    }

    func testTheDocumentNamesEachRoutesRole() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/control-api.yaml").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        var documented: [String: String] = [:]
        var path = ""
        var method = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") { method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased() }
            if line.hasPrefix("      summary:"), let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") {
                let inside = line[line.index(after: open)..<close]
                documented["\(method) \(path)"] = String(inside.split(separator: ";").first ?? inside)
            }
        }
        let router = ControlRoutes.router(for: ControlServerTests.MemoryService())
        for route in router.routes {
            XCTAssertEqual(documented["\(route.method) \(route.pattern)"], "\(route.role)", "\(route.method) \(route.pattern)")
        }
    }
}
