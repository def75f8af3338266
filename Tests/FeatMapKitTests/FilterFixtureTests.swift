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

    /// Mapped outputs within one grey level of OpenCV's saturated uint8/uint16 results.
    @Test(arguments: FilterFixtures.cases.filter { $0.mode != nil })
    func mappedOutputWithinOneLevel(_ c: FilterFixtures.Case) throws {
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
        #expect(difference <= 1, "max difference \(difference) levels")
        // Most samples must agree exactly: one level is for float-vs-fixed-point rounding only
        // (cv2.GaussianBlur on uint8 works in fixed point; 94% of its samples match exactly).
        let exact = zip(planes.storage, expected.values).filter { $0 == $1 }.count
        #expect(Double(exact) >= 0.9 * Double(expected.values.count), "\(exact) of \(expected.values.count) exact")
    }
}
