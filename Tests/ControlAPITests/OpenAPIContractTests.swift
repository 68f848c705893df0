import ControlAPI
import Foundation
import RecorderCore
import XCTest

/// The routes the server registers and the operations `docs/control-api.yaml` documents are the same set.
final class OpenAPIContractTests: XCTestCase {
    /// `METHOD /path` for every operation under `paths:` in the document (2-space path keys, 4-space methods).
    static func documentedOperations() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/control-api.yaml").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") { inPaths = line == "paths:"; path = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "post", "put", "patch", "delete", "head", "options"].contains(key) {
                    operations.insert("\(key.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    func testEveryRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let router = ControlRoutes.router(for: ControlServerTests.MemoryService())
        let registered = Set(router.routes.map { "\($0.method) \($0.pattern)" })
        let documented = try Self.documentedOperations()
        XCTAssertFalse(documented.isEmpty)
        XCTAssertEqual(registered.subtracting(documented), [], "routes missing from docs/control-api.yaml")
        XCTAssertEqual(documented.subtracting(registered), [], "documented routes the server does not have")
    }

    func testEveryRouteDocumentsTheRoleRefusal() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/control-api.yaml").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        let operations = text.components(separatedBy: "operationId:").dropFirst()
        XCTAssertEqual(operations.count, try Self.documentedOperations().count)
        for operation in operations {
            let body = operation.components(separatedBy: "\n  /").first ?? operation
            XCTAssertTrue(body.contains("\"403\""), "an operation without its 403: \(body.prefix(60))")
        }
    }
}
