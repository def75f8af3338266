import Testing
@testable import FeatMapKit

/// Mapping by hand; ties round to even as cv2's saturate_cast (cvRound).
@Suite struct ResponseMapTests {
    static let response = FilterResponse(responses: Tensor(shape: [1, 1, 5], storage: [-300, -0.5, 127.5, 128.5, 300]),
                                         alpha: nil, bitDepth: 8)

    static func mapped(_ mode: ResponseMode, scale: Float = 1, bias: Float = 0, depth: Int = 8) -> [Float] {
        ResponseMap(mode: mode, scale: scale, bias: bias).image(from: response, depth: depth).samples
    }

    @Test func clampRoundsHalfToEven() {
        #expect(Self.mapped(.clamp) == [0, 0, 128, 128, 255])
    }

    @Test func absTakesMagnitude() {
        #expect(Self.mapped(.abs) == [255, 0, 128, 128, 255])
        // 0.5·|r| + 1: 151, 1.25 → 1, 64.75 → 65, 65.25 → 65, 151
        #expect(Self.mapped(.abs, scale: 0.5, bias: 1) == [151, 1, 65, 65, 151])
    }

    // r + 128: −172 → 0, 127.5 → 128, 255.5 → 255, 256.5 → 255, 428 → 255
    @Test func offsetPutsZeroAtMidGrey() {
        #expect(Self.mapped(.offset) == [0, 128, 255, 255, 255])
        // 0.1·r + 128: 98, 127.95 → 128, 140.75 → 141, 140.85 → 141, 158
        #expect(Self.mapped(.offset, scale: 0.1) == [98, 128, 141, 141, 158])
    }

    // (r + 300)·255/600: 0, 127.2875 → 127, 181.6875 → 182, 182.1125 → 182, 255
    @Test func normalizeStretchesMinToMax() {
        #expect(Self.mapped(.normalize) == [0, 127, 182, 182, 255])
        let flat = FilterResponse(responses: Tensor(shape: [1, 1, 3], repeating: 5), alpha: nil, bitDepth: 8)
        #expect(ResponseMap(mode: .normalize).image(from: flat, depth: 8).samples == [0, 0, 0])
    }

    // 8-bit responses to 16-bit pixels: ×257; 127.5·257 = 32767.5 → 32768 (even).
    @Test func sixteenBitOutput() {
        #expect(Self.mapped(.clamp, depth: 16) == [0, 0, 32768, 33024, 65535])
        let r16 = FilterResponse(responses: Tensor(shape: [1, 1, 3], storage: [-1, 32896, 70000]),
                                 alpha: [65535, 0, 32896], bitDepth: 16)
        let out = ResponseMap(mode: .clamp).image(from: r16, depth: 8)
        #expect(out.bitDepth == 8 && out.channels == 2)
        #expect(out.samples == [0, 255, 128, 0, 255, 128])
        // The bias is in output grey levels: r·257 + 1000 = −76100 → 0, 871.5 → 872, 33767.5 → 33768,
        // 34024.5 → 34024 (ties to even), 78100 → 65535.
        #expect(Self.mapped(.clamp, bias: 1000, depth: 16) == [0, 872, 33768, 34024, 65535])
    }

    @Test func nanBecomesZero() {
        let r = FilterResponse(responses: Tensor(shape: [1, 1, 1], storage: [.nan]), alpha: nil, bitDepth: 8)
        #expect(ResponseMap(mode: .abs).image(from: r, depth: 8).samples == [0])
    }

    /// The rounding without libm equals rounded(.toNearestOrEven) then clip, on every half and
    /// quarter step around the range and on values far outside it.
    @Test func fastRoundingEqualsLibm() {
        var values: [Float] = [.nan, .infinity, -.infinity, -1e30, 1e30, -0.0, 0, 8_388_608.5, 16_777_215, 70_000.5]
        for i in -400...131_200 { values.append(Float(i) * 0.5) }
        for i in -100...100 { values.append(Float(i) * 0.25 + 255) }
        for v in values {
            for top: Float in [255, 65535] {
                let expected: Float = v.isNaN ? 0 : Swift.min(Swift.max(v.rounded(.toNearestOrEven), 0), top)
                #expect(ResponseMap.quantized(v, max: top) == expected, "\(v) on 0…\(top)")
            }
            #expect(Float(ResponseMap.byte(v)) == ResponseMap.quantized(v, max: 255), "\(v) as a byte")
        }
    }

    /// The one-pass byte path gives exactly the float path's pixels, for every mode, with and without
    /// alpha, from 8- and 16-bit responses that cover negatives, halves, huge values and NaN.
    @Test(arguments: [ResponseMode.clamp, .abs, .offset, .normalize])
    func bytesEqualTheImagePath(mode: ResponseMode) {
        var values: [Float] = []
        for i in 0..<600 { values.append(Float(i % 97) * 7.25 - 300 + Float(i % 5) * 0.5) }
        values[3] = .nan; values[10] = 1e9; values[11] = -1e9
        for (depth, channels) in [(8, 1), (8, 3), (16, 3), (16, 1)] {
            let n = values.count / 3
            let storage = Array(values.prefix(channels * n)).map { depth == 16 ? $0 * 257 : $0 }
            let alpha = (0..<n).map { Float(($0 * 37) % (depth == 16 ? 65536 : 256)) }
            for keepAlpha in [false, true] {
                let response = FilterResponse(responses: Tensor(shape: [channels, 10, n / 10], storage: storage),
                                              alpha: keepAlpha ? alpha : nil, bitDepth: depth)
                for (scale, bias): (Float, Float) in [(1, 0), (0.37, 3.5), (2, -10)] {
                    let map = ResponseMap(mode: mode, scale: scale, bias: bias)
                    let image = map.image(from: response, depth: 8)
                    let (bytes, c) = map.bytes(from: response, keepAlpha: true)
                    #expect(c == image.channels)
                    #expect(bytes.map(Float.init) == image.samples, "\(mode) \(depth)-bit \(channels) ch alpha \(keepAlpha) ×\(scale) +\(bias)")
                    if keepAlpha {
                        let (noAlpha, c2) = map.bytes(from: response, keepAlpha: false)
                        #expect(c2 == channels)
                        let colour = (0..<(n * channels)).map { i in image.samples[(i / channels) * (channels + 1) + i % channels] }
                        #expect(noAlpha.map(Float.init) == colour)
                    }
                }
            }
        }
    }
}
