import Foundation
import Testing
@testable import FeatMapKit

/// Separable filters on images wider than the vertical pass's 512-column strips (`Plan.strip`): 9×1537
/// (three strips and a remainder of 1), 11×1031 (two and 7) and 7×515 (one and 3), so the strip loop
/// runs more than once and ends on a short strip. Every case runs the two 1-D passes (forced), the
/// fused 3×3 gradient sweep (sobel, scharr, prewitt magnitudes at stride 1), the Toeplitz matrix
/// products (19 and 21 taps) and, for comparison, the direct 2-D window, and each must give the
/// independent reference in Fixtures/wide: OpenCV (cv2.GaussianBlur, Sobel, Scharr, boxFilter, filter2D,
/// magnitude) or, for stride, dilation, wrap and explicit padding, NumPy padding + scipy.signal.correlate2d,
/// made by Tests/scripts/wide_separable_fixtures.py from a row band of samples/chelsea.png.
@Suite struct WideSeparableTests {
    struct Case: Sendable, CustomStringConvertible {
        var id: String, input: String, spec: String, expected: String, reference: String
        var options: FilterOptions
        var description: String { id }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: FilterFixtures.url("../wide/manifest.json")),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.compactMap { d in
            guard let id = d["id"] as? String, let input = d["input"] as? String, let spec = d["spec"] as? String,
                  let expected = d["expected"] as? String, let reference = d["reference"] as? String else { return nil }
            var o = FilterOptions()
            if let p = d["padding"] as? String { o.padding = (try? PaddingChoice(parsing: p)) ?? .same }
            if let s = d["stride"] as? [Int] { o.stride = Pair(s[0], s[1]) }
            if let s = d["dilation"] as? [Int] { o.dilation = Pair(s[0], s[1]) }
            if let b = d["border"] as? String { o.border = BorderMode(rawValue: b) ?? .replicate }
            return Case(id: id, input: input, spec: spec, expected: expected, reference: reference, options: o)
        }
    }()

    @Test func manifestHasEveryCase() {
        #expect(Self.cases.count == 13)
        #expect(Set(Self.cases.map(\.input)) == ["w1537.npy", "w1031.npy", "w515.npy"])
    }

    @Test(arguments: cases)
    func wideImageMatchesReference(_ c: Case) throws {
        let image = try FilterFixtures.image("../wide/" + c.input)
        #expect(image.width > SeparableConvolution.Plan.strip)
        let expected = try FilterFixtures.npy("../wide/" + c.expected)
        let filter = try KernelLibrary.resolve(c.spec)
        let largest = expected.values.reduce(0) { max($0, abs($1)) }
        for separable in [true, false] {
            var o = c.options
            o.separable = separable
            let got = try filter.applied(to: image, options: o).responses
            #expect(got.shape == expected.shape, "\(c.id) separable \(separable)")
            guard got.shape == expected.shape else { continue }
            let difference = FilterFixtures.maximumDifference(got.storage, expected.values)
            // Float32 sums against OpenCV's/SciPy's: a few 1e-6 of the largest response.
            #expect(difference <= 2e-5 * largest + 1e-4,
                    "\(c.id) (\(c.reference)), separable \(separable): \(difference) of \(largest)")
            // Where it goes wrong, if it does: the worst column (strip boundaries are at 512, 1024, 1536).
            if difference > 2e-5 * largest + 1e-4, let ho = got.shape.dropLast().last, let wo = got.shape.last {
                var worst = (0, Float(0))
                for i in 0..<(ho * wo) where abs(got.storage[i] - expected.values[i]) > worst.1 {
                    worst = (i % wo, abs(got.storage[i] - expected.values[i]))
                }
                Issue.record("\(c.id): worst output column \(worst.0) of \(wo)")
            }
        }
    }
}
