import CICal
import Foundation

/// Turns a TZID into the zone its times are in, the way the products that write feeds mean it:
/// 1. an IANA name (`Europe/Berlin`, also behind a prefix such as `/mozilla.org/20050126_1/Europe/Berlin`) is the
///    system's tzdata zone, kept current by the OS, rather than a copy of its rules in the feed;
/// 2. a Windows name (`W. Europe Standard Time`, as Outlook and Exchange write) is the IANA zone CLDR maps it to;
/// 3. any other name is the feed's own VTIMEZONE of that TZID.
/// A name none of these knows is an error for the event that uses it: taking it as the room's zone would record
/// at the wrong hour without a word.
struct ZoneResolver {
    private let calendar: OpaquePointer
    private var known: [String: OpaquePointer] = [:]

    init(calendar: OpaquePointer) { self.calendar = calendar }

    mutating func zone(_ tzid: String) -> OpaquePointer? {
        if let zone = known[tzid] { return zone }
        let zone = Self.systemZone(tzid) ?? icalcomponent_get_timezone(calendar, tzid)
        if let zone { known[tzid] = zone }
        return zone
    }

    /// The tzdata zone an IANA or Windows name stands for.
    static func systemZone(_ tzid: String) -> OpaquePointer? {
        let name = tzid.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        if let iana = ianaName(name), let zone = LibICal.builtinZone(iana) { return zone }
        if let iana = LibICal.ianaName(forWindowsZone: name), let zone = LibICal.builtinZone(iana) { return zone }
        return nil
    }

    /// `name` itself, or its IANA tail when it carries a vendor's prefix.
    private static func ianaName(_ name: String) -> String? {
        let parts = name.split(separator: "/")
        for start in parts.indices {
            let candidate = parts[start...].joined(separator: "/")
            // Only names with a region ("Europe/Berlin") or "UTC": Foundation also accepts abbreviations such as
            // "EST", which the feed's VTIMEZONE describes better.
            if candidate.contains("/") || candidate == "UTC", TimeZone(identifier: candidate) != nil { return candidate }
        }
        return nil
    }
}
