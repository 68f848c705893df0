import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of an XML document in document order, each with its namespace, local name, attributes, text
/// and depth: enough to read Opencast's media packages, workflows and Dublin Core by namespace, never by
/// prefix or by text (Opencast's prefixes and attribute order differ between versions).
struct XMLOutline {
    struct Element {
        var namespace: String
        var name: String
        var attributes: [String: String]
        var text: String
        var depth: Int
    }

    let elements: [Element]

    /// Nil for text that is not well-formed XML.
    init?(_ data: Data) {
        let collector = Collector()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = collector
        guard parser.parse() else { return nil }
        elements = collector.elements
    }

    var root: Element? { elements.first }

    /// The elements named `name` in `namespace`.
    func all(_ namespace: String, _ name: String) -> [Element] { elements.filter { $0.namespace == namespace && $0.name == name } }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        private var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            open.append(elements.count)
            elements.append(Element(namespace: namespaceURI ?? "", name: elementName, attributes: attributes, text: "", depth: open.count - 1))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let current = open.last { elements[current].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            if let current = open.popLast() { elements[current].text = elements[current].text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }
}

/// XML text escaping for element content and attribute values.
public enum XMLText {
    public static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
