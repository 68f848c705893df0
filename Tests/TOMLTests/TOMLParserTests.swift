import TOML
import XCTest

final class TOMLParserTests: XCTestCase {
    func testReadsTablesKeysAndScalarsWithTheirLines() throws {
        let doc = try TOMLParser.parse("""
            # a comment
            title = "Room 101"   # trailing comment
            [room]
            id = 'room-101'
            size = 1_000
            ratio = 0.5
            live = true
            "quoted key" = -3
            start = 2026-09-01
            at = 2026-09-01T08:15:00+02:00
            """)
        XCTAssertEqual(doc["title"]?.value, .string("Room 101"))
        XCTAssertEqual(doc["title"]?.line, 2)
        guard case .table(let room)? = doc["room"]?.value else { return XCTFail("room is not a table") }
        XCTAssertEqual(room["id"]?.value, .string("room-101"))
        XCTAssertEqual(room["id"]?.line, 4)
        XCTAssertEqual(room["size"]?.value, .integer(1000))
        XCTAssertEqual(room["ratio"]?.value, .float(0.5))
        XCTAssertEqual(room["live"]?.value, .boolean(true))
        XCTAssertEqual(room["quoted key"]?.value, .integer(-3))
        XCTAssertEqual(room["start"]?.value, .dateTime("2026-09-01"))
        XCTAssertEqual(room["at"]?.value, .dateTime("2026-09-01T08:15:00+02:00"))
        XCTAssertEqual(room.keys, ["id", "size", "ratio", "live", "quoted key", "start", "at"])
    }

    func testStringsEscapesAndMultilineForms() throws {
        let doc = try TOMLParser.parse(#"""
            a = "tab\there \"q\" \u00e9"
            b = """
            line one
            line two"""
            c = '''
            C:\raw\path'''
            d = """trim \
                this"""
            e = """two quotes at the end"" """
            """#)
        XCTAssertEqual(doc["a"]?.value, .string("tab\there \"q\" é"))
        XCTAssertEqual(doc["b"]?.value, .string("line one\nline two"))
        XCTAssertEqual(doc["c"]?.value, .string("C:\\raw\\path"))
        XCTAssertEqual(doc["d"]?.value, .string("trim this"))
        XCTAssertEqual(doc["e"]?.value, .string("two quotes at the end\"\" "))
        XCTAssertEqual(doc["e"]?.line, 9)
    }

    func testArraysInlineTablesDottedKeysAndArraysOfTables() throws {
        let doc = try TOMLParser.parse("""
            days = [ "mon",
                     "wed", # comment inside
            ]
            point = { x = 1, y = 2 }
            a.b.c = 3
            [[slot]]
            day = "mon"
            [[slot]]
            day = "fri"
            """)
        XCTAssertEqual(doc["days"]?.value, .array([.string("mon"), .string("wed")]))
        guard case .table(let point)? = doc["point"]?.value else { return XCTFail() }
        XCTAssertEqual(point["y"]?.value, .integer(2))
        guard case .table(let a)? = doc["a"]?.value, case .table(let b)? = a["b"]?.value else { return XCTFail() }
        XCTAssertEqual(b["c"]?.value, .integer(3))
        guard case .array(let slots)? = doc["slot"]?.value, slots.count == 2, case .table(let second) = slots[1] else { return XCTFail() }
        XCTAssertEqual(second["day"]?.value, .string("fri"))
        XCTAssertEqual(second["day"]?.line, 9)
    }

    func testSubTablesOfDottedKeyTablesMayBeOpened() throws {
        let doc = try TOMLParser.parse("[a]\nb.c = 1\n[a.b.d]\ne = 2\n[[s]]\nx.y = 1\n[[s]]\nx.y = 2")
        guard case .table(let a)? = doc["a"]?.value, case .table(let b)? = a["b"]?.value, case .table(let d)? = b["d"]?.value else {
            return XCTFail("\(doc)")
        }
        XCTAssertEqual(d["e"]?.value, .integer(2))
        XCTAssertThrowsError(try TOMLParser.parse("[a]\nb.c = 1\n[a.b]"), "a dotted-key table cannot be opened again")
    }

    func testNumbersInOtherBases() throws {
        let doc = try TOMLParser.parse("h = 0xff\no = 0o17\nb = 0b101\nn = -inf\ne = 6.02e23")
        XCTAssertEqual(doc["h"]?.value, .integer(255))
        XCTAssertEqual(doc["o"]?.value, .integer(15))
        XCTAssertEqual(doc["b"]?.value, .integer(5))
        XCTAssertEqual(doc["n"]?.value, .float(-.infinity))
        XCTAssertEqual(doc["e"]?.value, .float(6.02e23))
    }

    func testErrorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("a = 1\na = 2", 2, "defined twice"),
            ("[t]\nx = 1\n[t]", 3, "defined twice"),
            ("a = 1\nb = unquoted", 2, "strings must be quoted"),
            ("a = \"open", 1, "unterminated"),
            ("a = 1 b = 2", 1, "after the value"),
            ("\n\nx = [1, 2", 3, "expected ',' or ']'"),
            ("a = 01", 1, "invalid value"),
            ("a = 1__0", 1, "invalid value"),
            ("s = \"bad \\q escape\"", 1, "invalid escape"),
            ("x = 1\nx.y = 2", 2, "not a table"),
            ("h = 0x-1", 1, "invalid value"),
            ("e = 1e_5", 1, "invalid value"),
            ("a = [{x = 1}]\n[[a]]", 2, "written inline"),
            ("a = [{x = 1}]\n[a.b]", 2, "written inline"),
            ("a = {b = {c = 1}}\n[a.b.d]", 2, "written inline"),
            ("a = {b = 1}\na.c = 2", 2, "written inline"),
            ("a = [1,\r 2]", 1, "carriage return"),
            ("a = " + String(repeating: "[", count: 100), 1, "nested too deeply"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try TOMLParser.parse(text), text) { error in
                guard let error = error as? TOMLSyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, "\(text): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }

    func testNewlinesAndControlCharacters() throws {
        // A file saved with CRLF gives the values one saved with LF gives.
        let doc = try TOMLParser.parse("a = \"\"\"\r\none\r\ntwo\"\"\"\r\nb = '''\r\nthree\r\n'''\r\n# done\r\n")
        XCTAssertEqual(doc["a"]?.value, .string("one\ntwo"))
        XCTAssertEqual(doc["b"]?.value, .string("three\n"))
        XCTAssertEqual(doc["b"]?.line, 4)
        let cases: [(String, Int, String)] = [
            ("a = 1 # a bell \u{07}", 1, "U+0007 in a comment"),
            ("# a delete \u{7F}\na = 1", 1, "U+007F in a comment"),
            ("a = 'a null \u{00}'", 1, "U+0000 in a literal string"),
            ("a = '''\nan escape \u{1B}'''", 2, "U+001B in a literal string"),
            ("a = \"\"\"\na backspace \u{08}\"\"\"", 2, "U+0008 must be escaped"),
            ("a = 1\r", 1, "carriage return"),
            ("a = 1 # comment\rb = 2", 1, "U+000D in a comment"),
            ("a = '''one\rtwo'''", 1, "carriage return"),
            ("a = \"open\r\nb = 1", 1, "unterminated string"),
            ("a = 'open\r\nb = 1", 1, "unterminated literal string"),
            ("a = \"\\u+0E9\"", 1, "invalid unicode escape"),
            ("a = 1\nb = \"\"\"\nnever\nclosed", 2, "unterminated multi-line string"),
            ("a = 1\nb = '''\nnever closed", 2, "unterminated multi-line literal string"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try TOMLParser.parse(text), text.debugDescription) { error in
                guard let error = error as? TOMLSyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, "\(text.debugDescription): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text.debugDescription): \(error.message)")
            }
        }
    }

    func testDateTimesMustExistAndNumbersKeepTheirDigitsTogether() throws {
        let doc = try TOMLParser.parse("leap = 2024-02-29\nsecond = 23:59:60\nodt = 1979-05-27 07:32:00.5+23:59\nb = 0b1_0\nmin = -9223372036854775808")
        XCTAssertEqual(doc["leap"]?.value, .dateTime("2024-02-29"))
        XCTAssertEqual(doc["second"]?.value, .dateTime("23:59:60"), "RFC 3339's leap second")
        XCTAssertEqual(doc["odt"]?.value, .dateTime("1979-05-27 07:32:00.5+23:59"))
        XCTAssertEqual(doc["b"]?.value, .integer(2))
        XCTAssertEqual(doc["min"]?.value, .integer(.min))
        let cases: [(String, String)] = [
            ("b = 0b_1", "invalid value"),
            ("h = 0x_ff", "invalid value"),
            ("d = 2023-02-29", "invalid date or time"),
            ("d = 1979-13-01", "invalid date or time"),
            ("d = 1979-04-31", "invalid date or time"),
            ("t = 24:00:00", "invalid date or time"),
            ("t = 07:60:00", "invalid date or time"),
            ("t = 07:32:00Z", "invalid date or time"),
            ("t = 07:32", "invalid date or time"),
            ("odt = 1979-05-27T07:32:00+24:00", "invalid date or time"),
            ("odt = 1979-05-27T07:32:00-0700", "invalid date or time"),
            ("odt = 1979-05-27T07:32:00.Z", "invalid date or time"),
            ("n = 9_223_372_036_854_775_808", "does not fit in 64 bits"),
            ("n = -0x1", "invalid value"),
            ("n = 0x1_0000_0000_0000_0000", "does not fit in 64 bits"),
            ("n = 0o8", "invalid value"),
        ]
        for (text, fragment) in cases {
            XCTAssertThrowsError(try TOMLParser.parse("ok = 1\n" + text), text) { error in
                guard let error = error as? TOMLSyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, 2, "\(text): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }

    func testEachTableIsDefinedOnceAndInlineOnesAreComplete() throws {
        // Each [[s]] element is a table of its own: what the first defined below it, the second may define again.
        let doc = try TOMLParser.parse("[[s]]\nx.y = 1\nt = {a = 1}\n[s.u]\n[[s.v]]\n[[s]]\n[s.x]\n[s.t]\n[s.u]\n[s.v]")
        guard case .array(let elements)? = doc["s"]?.value, elements.count == 2, case .table(let second) = elements[1] else {
            return XCTFail("\(doc)")
        }
        XCTAssertEqual(second.keys, ["x", "t", "u", "v"])
        XCTAssertEqual(second["v"]?.value, .table(TOMLTable(line: 10)), "a table now, where the first element has an array")
        let cases: [(String, Int, String)] = [
            ("[[a]]\n[a]", 2, "array of tables"),
            ("[[f]]\n[[f.v]]\nn = 1\n[f.v]", 4, "array of tables"),
            ("[f.a]\nc = 1\n[f]\na.t = 2", 4, "defined by its header"),
            ("[f.a.b]\n[f]\na.b.c = 2", 3, "defined by its header"),
            ("p = { c = { x = 1 }, c.y = 2 }", 1, "written inline"),
            ("p = { c = [ 1 ], c = 2 }", 1, "defined twice"),
            ("p = { a = [\n  1\n], b = 2, a = 3 }", 3, "defined twice"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try TOMLParser.parse(text), text) { error in
                guard let error = error as? TOMLSyntaxError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, "\(text): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }
}
