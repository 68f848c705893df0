@testable import ControlAPI
import Foundation
import TestSupport
import XCTest

/// Archives made by ``ZipStream`` open in Python's zipfile and Info-ZIP's unzip, with and without ZIP64 records.
final class ZipStreamTests: XCTestCase {
    private func archive(zip64From limit: Int64) async throws -> (TemporaryDirectory, String, [String: Data]) {
        let dir = try TemporaryDirectory()
        var contents: [String: Data] = [:]
        var entries: [ZipStream.Entry] = []
        for (index, size) in [1000, 0, 70_000].enumerated() {
            let name = "Rec - 2026-11-23 10-0\(index)-00 - Élan \(index).mp4"
            let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
            let path = "\(dir.path)/\(index).mp4"
            try data.write(to: URL(fileURLWithPath: path))
            contents[name] = data
            entries.append(.init(name: name, path: path, size: Int64(size), modified: Date(timeIntervalSince1970: 1_795_000_000)))
        }
        let output = Collected()
        try await ZipStream.write(entries, read: { path, offset, length, sink in
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            // In two pieces, as the server reads in chunks.
            let middle = Int(offset + length / 2)
            try await sink(data[Int(offset)..<middle])
            try await sink(data[middle..<Int(offset + length)])
        }, to: { await output.append($0) }, zip64From: limit)
        let zipPath = "\(dir.path)/out.zip"
        try await output.data.write(to: URL(fileURLWithPath: zipPath))
        return (dir, zipPath, contents)
    }

    actor Collected {
        private(set) var data = Data()
        func append(_ chunk: Data) { data.append(chunk) }
    }

    private func check(_ zipPath: String, _ contents: [String: Data], in dir: TemporaryDirectory) throws {
        let unzip = try ProcessRunner.run("/usr/bin/unzip", ["-t", zipPath])
        XCTAssertEqual(unzip.status, 0, unzip.stdout + unzip.stderr)
        XCTAssertTrue(unzip.stdout.contains("No errors detected"), unzip.stdout)
        for (name, data) in contents {
            let expected = "\(dir.path)/expected-\(data.count)"
            try data.write(to: URL(fileURLWithPath: expected))
            let python = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", """
                import sys, zipfile
                z = zipfile.ZipFile(sys.argv[1])
                assert z.testzip() is None
                assert z.read(sys.argv[2]) == open(sys.argv[3], "rb").read()
                """, zipPath, name, expected])
            XCTAssertEqual(python.status, 0, python.stderr)
        }
    }

    func testPlainArchive() async throws {
        let (dir, zipPath, contents) = try await archive(zip64From: ZipStream.limit32)
        try check(zipPath, contents, in: dir)
    }

    func testZip64RecordsWhereSizesOrOffsetsPassTheLimit() async throws {
        let (dir, zipPath, contents) = try await archive(zip64From: 500)
        let listing = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", """
            import sys, zipfile
            print(sum(1 for i in zipfile.ZipFile(sys.argv[1]).infolist() if i.extract_version >= 45))
            """, zipPath])
        // The first entry passes the limit by its size, the second by its offset, the third by both.
        XCTAssertEqual(listing.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "3", "entries past the limit use ZIP64")
        try check(zipPath, contents, in: dir)
    }
}
