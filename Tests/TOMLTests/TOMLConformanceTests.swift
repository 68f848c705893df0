import Foundation
import TOML
import XCTest

/// Compares the Swift parser with Python's tomllib, the reference for TOML 1.0, on the documents in
/// Tests/Fixtures/toml: the official examples (the README's, and the spec's section by section, its invalid ones
/// included), one concern a file, and RoomRecorder's own configurations. A valid document must give the same
/// tree; an invalid one must be rejected by both, the Swift parser's error naming the line the fixture states in
/// its first line (`# error-line: N`), because configuration errors are reported by file and line.
///
/// The reference is not optional: without python3 and tomllib (Python 3.11+; Debian 12's python3) the tests fail
/// and say so, rather than skip and pass unseen.
final class TOMLConformanceTests: XCTestCase {
    /// The repository's root, three levels above this file (Tests/TOMLTests/TOMLConformanceTests.swift).
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testValidDocumentsGiveTheTreeTomllibGives() throws {
        let fixtures = try Self.fixtures("valid")
        XCTAssertGreaterThanOrEqual(fixtures.count, 40, "valid fixtures under Tests/Fixtures/toml/valid")
        // The example configuration that ships with RoomRecorder, as it is in the repository.
        let documents = fixtures + [Self.root.appendingPathComponent("config/roomrec.toml")]
        for file in documents {
            let name = Self.name(file)
            guard let reference = try Self.reference(file) else { return }
            guard case .accepted(let expected) = reference else {
                XCTFail("\(name): tomllib rejects this valid document: \(reference)")
                continue
            }
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                let actual = TaggedValue(try TOMLParser.parse(text))
                if let difference = expected.difference(from: actual) { XCTFail("\(name): \(difference)") }
            } catch {
                XCTFail("\(name): the Swift parser rejects this valid document: \(error)")
            }
        }
    }

    func testInvalidDocumentsAreRejectedOnTheirLine() throws {
        let fixtures = try Self.fixtures("invalid")
        XCTAssertGreaterThanOrEqual(fixtures.count, 30, "invalid fixtures under Tests/Fixtures/toml/invalid")
        for file in fixtures {
            let name = Self.name(file)
            let text = try String(contentsOf: file, encoding: .utf8)
            guard let expectedLine = Self.statedErrorLine(text) else {
                XCTFail("\(name): the first line must state the line of the error, as in \"# error-line: 3\"")
                continue
            }
            guard let reference = try Self.reference(file) else { return }
            guard case .rejected(let message) = reference else {
                XCTFail("\(name): tomllib accepts this document, so it is not an invalid one")
                continue
            }
            // tomllib agreeing on the line checks the fixture's own statement.
            if let line = Self.tomllibLine(message), line != expectedLine {
                XCTFail("\(name): tomllib finds the error on line \(line), the fixture states \(expectedLine) (\(message))")
            }
            do {
                _ = try TOMLParser.parse(text)
                XCTFail("\(name): the Swift parser accepts this invalid document (\(message))")
            } catch {
                XCTAssertEqual(error.line, expectedLine, "\(name): the Swift parser's error is on another line: \(error)")
            }
        }
    }

    // MARK: Fixtures

    private static func fixtures(_ kind: String) throws -> [URL] {
        let folder = root.appendingPathComponent("Tests/Fixtures/toml/\(kind)")
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private static func name(_ file: URL) -> String {
        String(file.path.dropFirst(root.path.count).drop { $0 == "/" })
    }

    /// The N of a first line `# error-line: N`.
    private static func statedErrorLine(_ text: String) -> Int? {
        let first = text.prefix { $0 != "\n" && $0 != "\r\n" }
        guard first.hasPrefix("# error-line:") else { return nil }
        return Int(first.dropFirst("# error-line:".count).trimmingCharacters(in: .whitespaces))
    }

    /// The line in tomllib's "... (at line N, column M)", when its message has one.
    private static func tomllibLine(_ message: String) -> Int? {
        guard let range = message.range(of: "(at line ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: The reference

    enum Reference: CustomStringConvertible {
        case accepted(TaggedValue)
        case rejected(String)

        var description: String {
            switch self {
            case .accepted: "accepted"
            case .rejected(let message): message
            }
        }
    }

    /// What tomllib makes of `file`, through `python3 Tests/Peers/toml_reference.py FILE`; nil after failing the
    /// test when the reference itself cannot run (no python3, no tomllib, output that is not tagged JSON).
    private static func reference(_ file: URL, line: UInt = #line) throws -> Reference? {
        let script = root.appendingPathComponent("Tests/Peers/toml_reference.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, file.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let needed = "the TOML conformance test needs python3 with tomllib (Python 3.11 or later, e.g. Debian 12's python3)"
        do {
            try process.run()
        } catch {
            XCTFail("\(needed): cannot start /usr/bin/env python3: \(error)", line: line)
            return nil
        }
        // Standard output first: the script writes to standard error only a short message, and only when it
        // writes nothing to standard output, so neither pipe can fill while the other is read.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch process.terminationStatus {
        case 0:
            guard let json = try? JSONSerialization.jsonObject(with: outputData, options: [.fragmentsAllowed]),
                  let tree = TaggedValue(json: json) else {
                XCTFail("\(name(file)): toml_reference.py printed no tagged JSON: \(String(decoding: outputData, as: UTF8.self))", line: line)
                return nil
            }
            return .accepted(tree)
        case 1:
            return .rejected(stderr)
        default:
            XCTFail("\(needed): python3 \(script) exited with status \(process.terminationStatus): \(stderr)", line: line)
            return nil
        }
    }
}
