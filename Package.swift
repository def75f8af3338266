// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "featmap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "featmap", targets: ["featmap"]),
        .library(name: "FeatMapKit", targets: ["FeatMapKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // System libraries, found through pkg-config; the providers name the Debian packages.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // The only place where setjmp/longjmp live: small C shims over libpng and libjpeg.
        .target(name: "CCodecs", dependencies: ["CPNG", "CJPEG"]),
        .target(
            name: "FeatMapKit",
            dependencies: [
                "CCodecs", "CDNNL",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "featmap",
            dependencies: [
                "FeatMapKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "FeatMapKitTests", dependencies: ["FeatMapKit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FeatMapCLITests", dependencies: ["FeatMapKit"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
