// swift-tools-version:6.0
import PackageDescription

// Release builds of the reader and the warehouse skip Swift's dynamic exclusivity checks (about 2% of an
// ingest's CPU, measured with scripts/bench/bench-ingest.sh); debug builds, and so the tests, keep them.
// unsafeFlags are accepted for a root package, which is how traceware is built.
let releaseSpeed: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// Layers point one way: GoTrace (the reader, no SQLite) ← Warehouse (SQLite) ← traceware (CLI).
let package = Package(
    name: "traceware",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "traceware", targets: ["traceware"]),
        .library(name: "GoTrace", targets: ["GoTrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // gzip for exported profiles (Sources/Warehouse/Export/Gzip.swift says why zlib).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // SHA-256 blocks with the x86 SHA extensions (Sources/CSHA256/sha256.c says why).
        .target(name: "CSHA256"),
        .target(name: "GoTrace", swiftSettings: releaseSpeed),
        .target(
            name: "Warehouse", dependencies: ["GoTrace", "CSQLite", "CZlib", "CSHA256"], swiftSettings: releaseSpeed,
            plugins: ["EmbedSQLPlugin"]),
        // Embeds Schema/*.sql and Queries/*.sql into Warehouse as generated Swift source.
        .executableTarget(name: "EmbedSQLTool", path: "Sources/EmbedSQLTool"),
        .plugin(
            name: "EmbedSQLPlugin", capability: .buildTool(), dependencies: ["EmbedSQLTool"],
            path: "Sources/EmbedSQLPlugin"),
        .executableTarget(
            name: "traceware",
            dependencies: [
                "GoTrace", "Warehouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share (package root, oracle Go, the traceware binary, processes, temp dirs).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "GoTraceTests", dependencies: ["GoTrace", "TestSupport"]),
        .testTarget(name: "WarehouseTests", dependencies: ["Warehouse", "GoTrace", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
    ]
)
