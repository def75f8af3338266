import Foundation
import Testing
@testable import FeatMapKit

/// The banded path must give exactly the whole-image path's numbers and pixels: the same float
/// responses (compared with ==, not a tolerance), the same alpha, and PNG files with the same pixels, for
/// kernels small and taller than a band or the image, every border, strides, dilations, explicit
/// padding, and bands from one row up. Inputs are the 64×48 crops in Fixtures/pipeline (see its README).
@Suite struct BandedFilterTests {
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/pipeline/" + name, withExtension: nil))
        return try [UInt8](Data(contentsOf: url))
    }

    struct Result {
        var responses: Tensor
        var alpha: [Float]?
        var png: [UInt8]
    }

    /// Decode everything, filter, map, encode: what `featmap apply` did before bands.
    static func whole(_ spec: String, _ options: FilterOptions, file: String, map: ResponseMode) throws -> Result {
        let filter = try KernelLibrary.resolve(spec)
        let image = try ImageDecoder.decode(bytes(file), source: file)
        let response = try filter.applied(to: image, options: options)
        let mapped = ResponseMap(mode: map).image(from: response, depth: response.bitDepth)
        let png = try CodecFixture.encoded(mapped, as: .png(depth: response.bitDepth))
        return Result(responses: response.responses, alpha: response.alpha, png: png)
    }

    static func banded(_ spec: String, _ options: FilterOptions, file: String, map: ResponseMode,
                       bandRows: Int) throws -> Result {
        let filter = try KernelLibrary.resolve(spec)
        let reader = try ImageReader(bytes: bytes(file), source: file)
        let banded = BandedFilter(filter: filter, options: options, bandRows: bandRows)
        let plan = try #require(banded.plan(height: reader.header.height, width: reader.header.width))
        var planes: [[Float]] = [], alpha: [Float] = [], channels = 0, bands = 0
        let depth = reader.header.bitDepth
        let png = try CodecFixture.withTemporaryFile { file in
            var writer: ImageWriter?
            try banded.run(reader, plan: plan) { response in
                let r = response.responses
                #expect(r.shape[1] <= bandRows)
                channels = r.shape[0]
                if planes.isEmpty { planes = Array(repeating: [], count: channels) }
                let n = r.shape[1] * r.shape[2]
                for c in 0..<channels { planes[c] += r.storage[(c * n)..<((c + 1) * n)] }
                alpha += response.alpha ?? []
                bands += 1
                let image = ResponseMap(mode: map).image(from: response, depth: depth)
                if writer == nil {
                    writer = try ImageWriter(file: file, width: image.width, height: plan.outputSize.y,
                                             channels: image.channels, format: .png(depth: depth), destination: "memory")
                }
                try writer?.writeRows(image.samples, bitDepth: image.bitDepth)
            }
            try #require(writer).finish()
        }
        #expect(bands == (plan.outputSize.y + bandRows - 1) / bandRows)
        let responses = Tensor(shape: [channels, plan.outputSize.y, plan.outputSize.x], storage: Array(planes.joined()))
        return Result(responses: responses, alpha: reader.header.channels % 2 == 0 ? alpha : nil, png: png)
    }

    static func expectSame(_ spec: String, _ options: FilterOptions, file: String = "photo.png",
                           map: ResponseMode = .abs, bands: [Int]) throws {
        let reference = try whole(spec, options, file: file, map: map)
        for rows in bands {
            let b = try banded(spec, options, file: file, map: map, bandRows: rows)
            #expect(b.responses == reference.responses, "\(spec) \(options.border) band \(rows): responses differ")
            #expect(b.alpha == reference.alpha, "\(spec) band \(rows): alpha differs")
            // The pixels, not the bytes: see the note on CodecPNGStreamTests.bytesDoNotDependOnHowRowsAreSplit.
            let bandedPixels = try ImageDecoder.decode(b.png, source: "banded"), wholePixels = try ImageDecoder.decode(reference.png, source: "whole")
            #expect(bandedPixels == wholePixels, "\(spec) \(options.border) band \(rows): PNG pixels differ")
        }
    }

    /// Same padding, strides, dilations, explicit padding (uneven, larger than the kernel's reach),
    /// valid, and gray + convolve.
    static func layouts(_ border: BorderMode) -> [FilterOptions] {
        var base = FilterOptions()
        base.border = border
        var all = [base]
        var o = base; o.stride = Pair(2, 3); all.append(o)
        o = base; o.dilation = Pair(3, 2); all.append(o)
        o = base; o.padding = .explicit(Padding(top: 5, bottom: 0, left: 2, right: 1)); all.append(o)
        o = base; o.padding = .explicit(Padding(top: 0, bottom: 9, left: 0, right: 0)); o.stride = Pair(both: 3); all.append(o)
        o = base; o.padding = .valid; o.stride = Pair(3, 2); all.append(o)
        o = base; o.gray = true; o.convolve = true; all.append(o)
        return all
    }

    @Test(arguments: ["sobel", "gaussian:1.5", "box:4", "identity", "3x2: 1 2 3 -1 0 4"], BorderMode.allCases)
    func kernelsBordersAndLayouts(spec: String, border: BorderMode) throws {
        for options in Self.layouts(border) {
            try Self.expectSame(spec, options, bands: [1, 3, 16])
        }
    }

    /// σ = 10 is 61 taps: taller than every band here and than the 48-row image; the separable route, its
    /// passes as matrix products (`ToeplitzPasses`), which group rows at multiples of 32 in a band as in
    /// the whole image.
    @Test(arguments: BorderMode.allCases)
    func kernelTallerThanBandAndImage(border: BorderMode) throws {
        var options = FilterOptions()
        options.border = border
        try Self.expectSame("gaussian:10", options, map: .clamp, bands: [1, 7, 32, 48])
        options.separable = false
        options.stride = Pair(both: 2)
        try Self.expectSame("gaussian:4", options, map: .clamp, bands: [2, 5])
    }

    @Test func alphaAndSixteenBits() throws {
        var options = FilterOptions()
        options.padding = .explicit(Padding(top: 4, bottom: 3, left: 1, right: 2))
        options.border = .zero
        try Self.expectSame("sobel", options, file: "photo-rgba.png", bands: [1, 4])
        try Self.expectSame("gaussian:2", FilterOptions(), file: "photo-rgba.png", map: .clamp, bands: [1, 5])
        options.border = .reflect
        try Self.expectSame("sobel-y", options, file: "gray16.png", map: .offset, bands: [1, 6])
    }

    @Test func plansOnlyWhatBandsCanDo() throws {
        let sobel = try KernelLibrary.resolve("sobel")
        let plan = try #require(BandedFilter(filter: sobel, options: FilterOptions()).plan(height: 48, width: 64))
        #expect(plan.outputSize == Pair(48, 64))
        #expect(plan.padding == Padding(all: 1))
        #expect(plan.span == 3)
        // Two kernels of different sizes cannot share one band of rows.
        let mixed = ClassicFilter(name: "mixed", kernels: [Kernel.sobelX, Kernel.gaussian(sigma: 2)],
                                  combinesMagnitude: true, defaultMode: .abs, summary: "")
        #expect(BandedFilter(filter: mixed, options: FilterOptions()).plan(height: 48, width: 64) == nil)
        // Huge vertical padding and a window larger than the padded image are left to the whole path.
        var options = FilterOptions()
        options.padding = .explicit(Padding(top: 300, bottom: 0, left: 0, right: 0))
        #expect(BandedFilter(filter: sobel, options: options).plan(height: 48, width: 64) == nil)
        options.padding = .valid
        #expect(BandedFilter(filter: sobel, options: options).plan(height: 2, width: 64) == nil)
    }

    /// The decoder thread held its prefetcher and the prefetcher held the thread, so every image a banded
    /// run read (the reader, its copy of the file, libpng's state) stayed allocated until the process
    /// ended: a batch of large photos grew by each one. Once the run returns, the reader goes.
    @Test func bandedRunFreesItsReader() throws {
        let filter = try KernelLibrary.resolve("sobel")
        weak var weakReader: ImageReader?
        try {
            let reader = try ImageReader(bytes: Self.bytes("photo.png"), source: "photo.png")
            weakReader = reader
            let banded = BandedFilter(filter: filter, options: FilterOptions(), bandRows: 8)
            let plan = try #require(banded.plan(height: reader.header.height, width: reader.header.width))
            var rows = 0
            try banded.run(reader, plan: plan) { rows += $0.responses.shape[1] }
            #expect(rows == plan.outputSize.y)
        }()
        // The decoder thread lets go of the reader as it ends, just after the last rows are handed over.
        let deadline = Date().addingTimeInterval(10)
        while weakReader != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(weakReader == nil)
    }
}
