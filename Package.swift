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
        .systemLibrary(name: "CCairo", pkgConfig: "cairo-ft", providers: [.apt(["libcairo2-dev", "libfreetype-dev"])]),
        // zlib: gzipped idx data sets (`featmap shift --dataset`); the tests also inflate featmap's PNG
        // streams with it, the reference inflater, and the gzipped MNIST fixture.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // oneDNN (Debian's libdnnl-dev), opened with dlopen on first use rather than linked, so that a
        // process that runs no convolution (`featmap --version`) does not load libdnnl and libgomp.
        .target(name: "CDNNL"),
        // The element-by-element hot loops (e^x, Sigmoid, SiLU, the sliding window's sweeps, the depthwise
        // stride phases, max pooling's rows) in C, compiled for AVX-512, AVX2 and the SSE2 baseline and
        // chosen by the CPU at load (Swift's own loops are built for the baseline only).
        .target(name: "CVectorMath"),
        // FFTW (single precision): large non-separable classic kernels by overlap-save FFT convolution.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        // The only place where setjmp/longjmp live: small C shims over libpng and libjpeg, and the
        // PNG encoder's use of ISA-L's deflate (Debian's libisal-dev).
        .target(name: "CCodecs", dependencies: ["CPNG", "CJPEG"], linkerSettings: [.linkedLibrary("isal")]),
        // Pictures: the bundled DejaVu Sans as a Cairo font face, and Cairo's PDF surface into memory.
        .target(name: "CRender", dependencies: ["CCairo"],
                exclude: ["DejaVuSans-featmap.ttf", "subset_font.py", "LICENSE-DejaVu.txt"]),
        .target(
            name: "FeatMapKit",
            dependencies: [
                "CCodecs", "CDNNL", "CVectorMath", "CCairo", "CRender", "CZlib", "CFFTW",
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
        .testTarget(name: "FeatMapKitTests", dependencies: ["FeatMapKit", "CZlib", "CVectorMath"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FeatMapCLITests", dependencies: ["FeatMapKit", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
