// swift-tools-version:6.0
// libFuzzer harnesses for FeatMapKit's parsers (see docs/fuzzing.md). Not part of the root package:
// build it through Tests/fuzz/run, which passes the sanitizer flags.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
let rootIdentity = root.lastPathComponent.lowercased()

let package = Package(
    name: "featmap-fuzz",
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "featmap-fuzz",
            dependencies: ["FuzzDriver", .product(name: "FeatMapKit", package: rootIdentity)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
