import Testing
@testable import FeatMapKit

/// Options, impossible geometry, alpha pass-through and offsets, by hand.
@Suite struct FilterOptionsTests {
    @Test func paddingChoiceParsing() throws {
        #expect(try PaddingChoice(parsing: "same") == .same)
        #expect(try PaddingChoice(parsing: "VALID") == .valid)
        #expect(try PaddingChoice(parsing: "2") == .uniform(2))
        #expect(try PaddingChoice(parsing: "1, 2,3,4") == .explicit(Padding(top: 1, bottom: 2, left: 3, right: 4)))
        for bad in ["", "-1", "1,2", "a", "1,2,3,-4", "1,,2,3"] {
            #expect(throws: EngineError.self) { try PaddingChoice(parsing: bad) }
        }
    }

    // Same padding for a 4×4 kernel, dilation 2, default anchor (2,2): 2·2 = 4 before, 2·3 − 4 = 2 after.
    @Test func samePaddingUsesTheAnchor() throws {
        let k = Kernel(name: "k", width: 4, height: 4, values: [Float](repeating: 1, count: 16))
        #expect(try PaddingChoice.same.padding(for: k, dilation: Pair(2, 2)) == Padding(top: 4, bottom: 2, left: 4, right: 2))
        var anchored = k
        anchored.anchor = Pair(0, 3)
        #expect(try PaddingChoice.same.padding(for: anchored, dilation: .one) == Padding(top: 0, bottom: 3, left: 3, right: 0))
    }

    @Test func impossibleOptionsThrow() throws {
        let image = Image(width: 5, height: 4, channels: 3, bitDepth: 8, repeating: 7)
        let filter = try KernelLibrary.resolve("sobel")
        var o = FilterOptions()
        o.stride = Pair(0, 1)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o = FilterOptions()
        o.dilation = Pair(1, 0)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o = FilterOptions()
        o.padding = .valid
        #expect(throws: EngineError.self) { try KernelLibrary.resolve("box:5").applied(to: image, options: o) }
        o.padding = .uniform(-1)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o.padding = .uniform(1_000_000_000)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o = FilterOptions()
        o.dilation = Pair(Int.max, 1)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o.dilation = Pair(3000, 1)  // same padding 3000 a side
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        o = FilterOptions()
        o.stride = Pair(1, -2)
        #expect(throws: EngineError.self) { try filter.applied(to: image, options: o) }
        // Same padding lets even a 61-tap kernel run on a 5×4 image.
        let blurred = try KernelLibrary.resolve("gaussian:10").applied(to: image, options: FilterOptions())
        #expect(blurred.responses.shape == [3, 4, 5])
        #expect(blurred.responses.storage.allSatisfy { abs($0 - 7) < 1e-4 })
    }

    /// Output size ⌊(n + p − d(k−1) − 1)/s⌋ + 1: 9×7 image, 3×3, valid, stride 2 → 4×3; alpha at
    /// input (2·oy + 1, 2·ox + 1), the pixel under the centre.
    @Test func alphaPassesThroughAtOutputPositions() throws {
        let (w, h) = (7, 9)
        var samples: [Float] = []
        for y in 0..<h { for x in 0..<w { samples += [Float(x), Float(y), 3, Float(10 * y + x)] } }
        let image = Image(width: w, height: h, channels: 4, bitDepth: 8, samples: samples)
        var o = FilterOptions()
        o.padding = .valid
        o.stride = Pair(2, 2)
        let r = try KernelLibrary.resolve("identity").applied(to: image, options: o)
        #expect(r.responses.shape == [3, 4, 3])
        #expect(r.alpha == [11, 13, 15, 31, 33, 35, 51, 53, 55, 71, 73, 75])
        // identity: the red plane is x at the same positions
        #expect(Array(r.responses.storage[0..<3]) == [1, 3, 5])
        let mapped = ResponseMap(mode: .clamp).image(from: r, depth: 8)
        #expect(mapped.channels == 4 && mapped.width == 3 && mapped.height == 4)
        #expect(mapped.alphaPlane == r.alpha)
        // Same padding keeps alpha as it is; gray keeps it beside the luma.
        o = FilterOptions()
        o.gray = true
        let g = try KernelLibrary.resolve("sharpen").applied(to: image, options: o)
        #expect(g.responses.shape == [1, 9, 7] && g.alpha == image.alphaPlane)
    }

    // Luma of (x, y, 3) is 0.299x + 0.587y + 0.342; identity keeps it.
    @Test func grayConvertsToLumaFirst() throws {
        let image = Image(width: 2, height: 1, channels: 3, bitDepth: 8, samples: [10, 20, 30, 200, 100, 0])
        var o = FilterOptions()
        o.gray = true
        let r = try KernelLibrary.resolve("identity").applied(to: image, options: o)
        #expect(r.responses.shape == [1, 1, 2])
        #expect(abs(r.responses.storage[0] - (2.99 + 11.74 + 3.42)) < 1e-4)
        #expect(abs(r.responses.storage[1] - (59.8 + 58.7)) < 1e-4)
    }

    /// A flat 100 under a 3×3 mean with `offset: 10` gives 110; on 16 bits the offset is ×257.
    @Test func kernelOffsetIsOnThe8BitScale() throws {
        let filter = try KernelLibrary.resolve(FilterFixtures.url("kernels/box3-scaled.txt").path)
        let r8 = try filter.applied(to: Image(width: 4, height: 3, channels: 1, bitDepth: 8, repeating: 100),
                                    options: FilterOptions())
        #expect(r8.responses.storage.allSatisfy { abs($0 - 110) < 1e-4 })
        let r16 = try filter.applied(to: Image(width: 4, height: 3, channels: 1, bitDepth: 16, repeating: 25700),
                                     options: FilterOptions())
        #expect(r16.bitDepth == 16)
        #expect(r16.responses.storage.allSatisfy { abs($0 - 28270) < 1e-2 })
    }

    // Hand-checked gradient: a horizontal ramp 0, 10, 20, 30 → sobel-x interior = 4·20 = 80; the
    // magnitude adds sobel-y = 0, so sobel gives 80 too.
    @Test func magnitudeCombinesBothDirections() throws {
        let image = Image(width: 4, height: 3, channels: 1, bitDepth: 8, samples: (0..<12).map { Float(($0 % 4) * 10) })
        let gx = try KernelLibrary.resolve("sobel-x").applied(to: image, options: FilterOptions()).responses
        let mag = try KernelLibrary.resolve("sobel").applied(to: image, options: FilterOptions()).responses
        #expect(gx.storage[5] == 80 && gx.storage[6] == 80)
        #expect(gx.storage[4] == 40)  // replicate: (10 − 0)·4
        #expect(mag.storage == gx.storage.map { abs($0) })
    }
}
