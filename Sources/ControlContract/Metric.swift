import Foundation
import RecorderCore

/// One Prometheus metric with its samples.
public struct Metric: Equatable, Sendable {
    /// `gauge` or `counter`.
    public enum Kind: String, Sendable { case gauge, counter }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [(labels: [String: String], value: Double)]

    public init(_ name: String, _ kind: Kind, _ help: String, samples: [(labels: [String: String], value: Double)]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    public init(_ name: String, _ kind: Kind, _ help: String, value: Double) {
        self.init(name, kind, help, samples: [([:], value)])
    }

    public static func == (a: Metric, b: Metric) -> Bool {
        a.name == b.name && a.kind == b.kind && a.help == b.help && a.samples.count == b.samples.count
            && zip(a.samples, b.samples).allSatisfy { $0.labels == $1.labels && $0.value == $1.value }
    }
}
