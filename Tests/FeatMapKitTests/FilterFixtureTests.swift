import Foundation
import Testing
@testable import FeatMapKit

/// Every case of Fixtures/filters/manifest.json: real photo crops filtered by featmap against
/// OpenCV / NumPy+SciPy references made by Tests/scripts/filter_fixtures.py (see the script for
/// the call behind each case).
@Suite struct FilterFixtureTests {
    @Test func manifestCoversEveryBuiltin() {
        #expect(FilterFixtures.cases.count >= 40)
        let specs = Set(FilterFixtures.cases.map { $0.spec.split(separator: ":").first.map(String.init) ?? $0.spec })
        for builtin in KernelLibrary.builtins { #expect(specs.contains(builtin.name), "no fixture for \(builtin.name)") }
        let borders = Set(FilterFixtures.cases.map(\.options.border))
        #expect(borders == Set(BorderMode.allCases))
    }

    @Test(arguments: FilterFixtures.cases.filter { $0.mode == nil })
    func rawResponsesMatchReference(_ c: FilterFixtures.Case) throws {
        let image = try FilterFixtures.image(c.input)
        let expected = try FilterFixtures.npy(c.expected)
        let response = try FilterFixtures.resolve(c.spec).applied(to: image, options: c.options)
        #expect(response.responses.shape == expected.shape)
        guard response.responses.shape == expected.shape else { return }
        // OpenCV's filter2D switches to a DFT for large kernels, so allow 1e-5 of the largest response
        // (plus a float32 rounding floor).
        let largest = expected.values.reduce(0) { max($0, abs($1)) }
        let difference = FilterFixtures.maximumDifference(response.responses.storage, expected.values)
        #expect(difference <= 1e-5 * largest + 1e-3, "max difference \(difference), largest response \(largest)")
    }

    /// Mapped outputs against OpenCV's saturated uint8/uint16 results (and NumPy's for abs with a scale).
    /// Every sample must be equal: these kernels have integer weights, so OpenCV's result is exact
    /// and featmap's float responses are the same integers, mapped without a rounding tie. The one
    /// exceptions: cv2.GaussianBlur on uint8 works in 16-bit fixed point (8 fraction bits), so its
    /// samples may be one level away (94% match exactly); and normalize maps min..max to 0..255 by a
    /// non-integer scale (here 255/670), which puts some samples exactly halfway between two levels,
    /// where which way each rounds depends on how the scale was computed in floating point (OpenCV in
    /// double, featmap in float): only those exact ties may differ, by one level.
    @Test(arguments: FilterFixtures.cases.filter { $0.mode != nil })
    func mappedOutputMatchesOpenCV(_ c: FilterFixtures.Case) throws {
        let image = try FilterFixtures.image(c.input)
        let expected = try FilterFixtures.npy(c.expected)
        let response = try FilterFixtures.resolve(c.spec).applied(to: image, options: c.options)
        let map = ResponseMap(mode: c.mode!, scale: c.scale, bias: c.bias)
        let out = map.image(from: response, depth: c.depth ?? 8)
        #expect(out.bitDepth == (c.depth ?? 8))
        let planes = out.colorPlanes
        #expect(planes.shape == expected.shape)
        guard planes.shape == expected.shape else { return }
        let difference = FilterFixtures.maximumDifference(planes.storage, expected.values)
        let exact = zip(planes.storage, expected.values).filter { $0 == $1 }.count
        if Self.fixedPointReference.contains(c.id) {
            #expect(difference <= 1, "max difference \(difference) levels")
            #expect(Double(exact) >= 0.9 * Double(expected.values.count), "\(exact) of \(expected.values.count) exact")
        } else if c.mode == .normalize {
            // Integer responses r in lo...hi: the exact level is (r − lo)·255 / (hi − lo).
            let r = response.responses.storage
            let (lo, hi) = (Int(r.min()!), Int(r.max()!))
            #expect(r.allSatisfy { $0 == $0.rounded() } && hi > lo)
            #expect(difference <= 1, "max difference \(difference) levels")
            for (i, (a, b)) in zip(planes.storage, expected.values).enumerated() where a != b {
                let twice = 2 * (Int(r[i]) - lo) * 255
                #expect(twice % (2 * (hi - lo)) == hi - lo, "sample \(i): \(a) vs OpenCV \(b), and not a tie")
            }
        } else {
            #expect(exact == expected.values.count, "\(expected.values.count - exact) samples differ, by up to \(difference) levels")
        }
    }

    /// Cases whose reference OpenCV computes in fixed point rather than exactly.
    static let fixedPointReference: Set<String> = ["map8-gaussian-clamp"]
}
