import CICal
import Synchronization

/// libical's shared state, kept in one place. The library keeps process-wide caches (its built-in zones, each
/// zone's table of offset changes, grown on first use of a year) that its functions write to while they read, so
/// every call into it is made inside ``serialized(_:)``. Expanding a feed takes milliseconds and happens on a
/// poll or a request, so one lock costs nothing that matters.
enum LibICal {
    private static let lock = Mutex(())

    static func serialized<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock { _ in try body() }
    }

    /// The zone libical keeps for an IANA name, read from the system's tzdata.
    static func builtinZone(_ name: String) -> OpaquePointer? {
        icaltimezone_get_builtin_timezone(name)
    }

    static var utc: OpaquePointer { icaltimezone_get_utc_timezone() }

    /// The IANA name for a Windows zone name, from ICU's CLDR data.
    static func ianaName(forWindowsZone name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        guard roomrec_iana_zone_for_windows_zone(name, &buffer, Int32(buffer.count)) == 1 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Owns the tree of components libical parsed a feed into, and frees it once.
final class ICalComponent {
    let pointer: OpaquePointer

    /// Parses `text`; nil when libical finds no component at all.
    init?(parsing text: String) {
        guard let root = icalparser_parse_string(text) else { return nil }
        pointer = root
    }

    deinit { LibICal.serialized { icalcomponent_free(pointer) } }

    var kind: icalcomponent_kind { icalcomponent_isa(pointer) }

    /// The direct children of one kind.
    func children(_ kind: icalcomponent_kind) -> [OpaquePointer] { ICalComponent.children(of: pointer, kind) }

    static func children(of component: OpaquePointer, _ kind: icalcomponent_kind) -> [OpaquePointer] {
        walk(icalcomponent_get_first_component(component, kind)) { icalcomponent_get_next_component(component, kind) }
    }

    /// The components of one kind anywhere below `component`, in the order of the text.
    static func descendants(of component: OpaquePointer, _ kind: icalcomponent_kind) -> [OpaquePointer] {
        children(of: component, ICAL_ANY_COMPONENT).flatMap { child in
            (icalcomponent_isa(child) == kind ? [child] : []) + descendants(of: child, kind)
        }
    }

    static func properties(of component: OpaquePointer, _ kind: icalproperty_kind) -> [OpaquePointer] {
        walk(icalcomponent_get_first_property(component, kind)) { icalcomponent_get_next_property(component, kind) }
    }

    /// libical's iteration: a first item, then `next()` until it answers nil.
    private static func walk(_ first: OpaquePointer?, _ next: () -> OpaquePointer?) -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var item = first
        while let current = item {
            result.append(current)
            item = next()
        }
        return result
    }
}
