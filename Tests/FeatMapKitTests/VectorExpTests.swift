import Foundation
import Testing
import CVectorMath
@testable import FeatMapKit

/// The vector exponential behind Sigmoid, against the double-precision exponential rounded to float
/// (an independent reference), and Sigmoid against its definition computed in double.
@Suite struct VectorExpTests {
    /// Distance in units in the last place between two positive normal floats.
    static func ulps(_ a: Float, _ b: Float) -> Int { abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    @Test func withinTwoUlpsOverTheRange() {
        let lo: Float = -87.33, hi: Float = 88.72, n = 400_000
        var worst = 0
        var i = 0
        while i < n {
            var x = VectorExp.Vector()
            for j in 0..<16 { x[j] = lo + (hi - lo) * Float(i + j) / Float(n) }
            let y = VectorExp.exp(x)
            for j in 0..<16 {
                let reference = Float(Foundation.exp(Double(x[j])))
                worst = max(worst, Self.ulps(y[j], reference))
            }
            i += 16
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func edgesOfTheRange() {
        var x = VectorExp.Vector(repeating: 0)
        let cases: [Float] = [0, 1, -1, 88.7, 89, 1000, .infinity, -88, -104, -.infinity, .nan, 1e-8, -1e-8, 0.5, -0.5, 20]
        for (j, c) in cases.enumerated() { x[j] = c }
        let y = VectorExp.exp(x)
        #expect(y[0] == 1 && y[1] == Float(M_E) && Self.ulps(y[2], Float(1 / M_E)) <= 1)
        #expect(y[3].isFinite && y[4] == .infinity && y[5] == .infinity && y[6] == .infinity)
        #expect(y[7] == 0 && y[8] == 0 && y[9] == 0)  // below −87.3 (where expf is subnormal or 0)
        #expect(y[10].isNaN)
        #expect(y[11] == 1 && y[12] == 1)
    }

    /// Sigmoid on a tail that is not a multiple of 16, over values that saturate both ways: within 2 ulp,
    /// but for values under the smallest normal float (x below −87.3), which come out as 0 or subnormals.
    @Test func sigmoidMatchesItsDefinition() {
        let values: [Float] = (0..<1003).map { Float($0 - 501) * 0.2 } + [.nan, .infinity, -.infinity]
        var v = values
        v.withUnsafeMutableBufferPointer { VectorExp.sigmoid($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(values, v) where !x.isNaN {
            let reference = Float(1 / (1 + Foundation.exp(-Double(x))))
            #expect(abs(y - reference) <= max(2 * reference.ulp, Float.leastNormalMagnitude), "sigmoid(\(x)) = \(y), reference \(reference)")
        }
        #expect(v[1003].isNaN && v[1004] == 1 && v[1005] == 0)
    }

    /// The versions the CPU dispatches to (AVX-512 or AVX2 where it has them) give the baseline's bits
    /// (a NaN stays a NaN, whichever its sign):
    /// contraction into fused multiply-adds, or any reordering, would change the last bit somewhere here.
    @Test func dispatchedVersionsGiveTheBaselineBits() {
        var values: [Float] = (0..<100_003).map { Float($0 - 50_000) * 0.0019 }   // [−95, 95], tail of 3
        values += [0, -0.0, .nan, .infinity, -.infinity, 88.72283, 88.72284, -87.33654, -87.33655, 1e-30, -1e-30]
        typealias Kernel = (UnsafeMutablePointer<Float>?, Int) -> Void
        let pairs: [(String, Kernel, Kernel)] = [("exp", fm_exp, fm_exp_baseline), ("sigmoid", fm_sigmoid, fm_sigmoid_baseline),
                                                 ("silu", fm_silu, fm_silu_baseline)]
        for (name, dispatched, baseline) in pairs {
            var fast = values, plain = values
            fast.withUnsafeMutableBufferPointer { dispatched($0.baseAddress!, $0.count) }
            plain.withUnsafeMutableBufferPointer { baseline($0.baseAddress!, $0.count) }
            // NaN in, NaN out, but which NaN (its sign) is not fixed by IEEE 754: x · σ(x) on a NaN may
            // return either operand's, and the compiler may commute the product in one version.
            let differing = zip(fast, plain).filter { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }.count
            #expect(differing == 0, "\(name) (\(VectorExp.instructionSet)): \(differing) values differ from the baseline's")
        }
    }

    /// SiLU is Sigmoid then the product with the input, bit for bit (what the Conv's fused activation
    /// must give for the graph's Sigmoid and Mul).
    @Test func siluIsSigmoidTimesInput() {
        let values: [Float] = (0..<5000).map { Float($0 - 2500) * 0.037 }
        var silu = values, sigmoid = values
        silu.withUnsafeMutableBufferPointer { VectorExp.silu($0.baseAddress!, count: $0.count) }
        sigmoid.withUnsafeMutableBufferPointer { VectorExp.sigmoid($0.baseAddress!, count: $0.count) }
        for i in values.indices { #expect(silu[i].bitPattern == (values[i] * sigmoid[i]).bitPattern) }
    }

    /// The four-tap sweep of the sliding window in the dispatched version against the baseline's, on
    /// random values and a length that is not a multiple of any vector width.
    @Test func sweepGivesTheBaselineBits() {
        var rng = SystemRandomNumberGenerator()
        let n = 10_007
        let b = (0..<4).map { _ in (0..<n).map { _ in Float.random(in: -100...100, using: &rng) } }
        let start = (0..<n).map { _ in Float.random(in: -10...10, using: &rng) }
        var fast = start, plain = start
        fm_sweep4(&fast, b[0], b[1], b[2], b[3], 0.3, -1.7, 2.9, 0.011, n)
        fm_sweep4_baseline(&plain, b[0], b[1], b[2], b[3], 0.3, -1.7, 2.9, 0.011, n)
        #expect(zip(fast, plain).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(VectorExp.instructionSet)")
        // And the order of the sums is the one written: acc + ((w0·b0 + w1·b1) + (w2·b2 + w3·b3)).
        let i = 1234
        #expect(fast[i] == start[i] + ((0.3 * b[0][i] + -1.7 * b[1][i]) + (2.9 * b[2][i] + 0.011 * b[3][i])))
    }
}
