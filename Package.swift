// swift-tools-version:6.1
import PackageDescription

/// RoomRecorder: an edge recording agent for classrooms and meeting rooms.
/// See docs/architecture.md for what each module owns and which may import which.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "RoomRecorder",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "roomrecd", targets: ["roomrecd"]),
        .executable(name: "roomrecctl", targets: ["roomrecctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // C shims: a module map and a small header each, libraries found through pkg-config.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat libavcodec libavfilter libavutil libswscale libswresample",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]),
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CALSA", path: "Sources/CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CGStreamer", path: "Sources/CGStreamer", pkgConfig: "gstreamer-1.0 gstreamer-app-1.0 gstreamer-sdp-1.0 gstreamer-video-1.0",
                       providers: [.apt(["libgstreamer1.0-dev", "libgstreamer-plugins-base1.0-dev"])]),
        // libical and ICU (Debian's libical-dev and libicu-dev): a C target, so ICU's headers stay out of Swift's sight.
        .target(name: "CICal", path: "Sources/CICal",
                linkerSettings: [.linkedLibrary("ical"), .linkedLibrary("icui18n"), .linkedLibrary("icuuc")]),
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        .target(name: "TOML", swiftSettings: strict),
        .target(name: "RecorderCore", dependencies: ["TOML"], swiftSettings: strict),
        .target(name: "DurableFiles", swiftSettings: strict),
        .target(name: "Calendars", dependencies: ["CICal"], swiftSettings: strict),
        .target(name: "ControlContract", dependencies: ["RecorderCore"], swiftSettings: strict),
        .target(name: "Media", dependencies: ["RecorderCore", "DurableFiles", "CFFmpeg", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .target(name: "Capture", dependencies: ["RecorderCore", "Media", "CV4L2", "CALSA"], swiftSettings: strict),
        .target(name: "Networking", dependencies: ["DurableFiles", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                   .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                swiftSettings: strict),
        .target(name: "Catalog", dependencies: ["RecorderCore", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .target(name: "Uploads", dependencies: ["RecorderCore", "Catalog", "DurableFiles", "Networking", .product(name: "Crypto", package: "swift-crypto"),
                                                .product(name: "Logging", package: "swift-log"),
                                                .product(name: "AsyncHTTPClient", package: "async-http-client")], swiftSettings: strict),
        .target(name: "ControlAPI", dependencies: ["RecorderCore", "ControlContract", "CZlib", .product(name: "NIOCore", package: "swift-nio"),
                                                   .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                                   .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "ControlClient", dependencies: ["RecorderCore", "ControlContract", .product(name: "NIOCore", package: "swift-nio"),
                                                      .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
                swiftSettings: strict),
        .target(name: "SystemIntegration", dependencies: ["CSystemd", "CMalloc", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "Session", dependencies: ["RecorderCore", "Networking", "DurableFiles", "CGStreamer", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "Daemon", dependencies: ["RecorderCore", "Calendars", "ControlContract", "Media", "Capture", "Catalog", "Uploads", "Networking", "ControlAPI", "SystemIntegration", "Session",
                                               .product(name: "Logging", package: "swift-log"),
                                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                               .product(name: "UnixSignals", package: "swift-service-lifecycle")], swiftSettings: strict),
        .executableTarget(name: "roomrecd", dependencies: ["Daemon", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),
        .executableTarget(name: "roomrecctl", dependencies: ["RecorderCore", "Calendars", "ControlContract", "ControlClient", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        .target(name: "TestSupport", dependencies: ["ControlClient", "ControlContract", "RecorderCore", "Media", "Capture", "CV4L2"], path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "TOMLTests", dependencies: ["TOML"], path: "Tests/TOMLTests", swiftSettings: strict),
        .testTarget(name: "CalendarsTests", dependencies: ["Calendars", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "RecorderCoreTests", dependencies: ["RecorderCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MediaTests", dependencies: ["TestSupport", "Media", "Capture", "RecorderCore"], swiftSettings: strict),
        .testTarget(name: "CaptureTests", dependencies: ["TestSupport", "Capture", "RecorderCore"], swiftSettings: strict),
        .testTarget(name: "CatalogTests", dependencies: ["TestSupport", "Catalog", "RecorderCore"], swiftSettings: strict),
        .testTarget(name: "UploadsTests", dependencies: ["TestSupport", "Uploads", "Networking", "Catalog", "RecorderCore",
                                                         .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "DaemonTests", dependencies: ["TestSupport", "ControlContract", "Daemon", "Catalog", "Uploads", "Media", "Capture", "RecorderCore",
                                                        .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "ControlAPITests", dependencies: ["TestSupport", "ControlContract", "ControlAPI", "ControlClient", "RecorderCore",
                                                            .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "SessionTests", dependencies: ["TestSupport", "Session", "RecorderCore", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "ControlContract", "ControlClient", "RecorderCore", "Catalog", "Uploads"], swiftSettings: strict),
    ]
)
