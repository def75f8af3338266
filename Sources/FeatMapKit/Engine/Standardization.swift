import Foundation

/// x̂ = (x − μ)/√(σ² + ε) over consecutive groups of values, μ and σ² (the population variance) each
/// group's own: the core of InstanceNormalization (a group is one channel's map), GroupNormalization
/// (a run of channels) and LayerNormalization (the trailing axes), whose learned scale and bias then
/// apply to x̂. Sums run in double precision.
public enum Standardization {
    /// x̂, and per group μ and 1/√(σ² + ε).
    public static func standardized(_ x: [Float], groupSize m: Int, epsilon: Float) throws
        -> (values: [Float], mean: [Float], inverseDeviation: [Float]) {
        guard m > 0, x.count % m == 0 else {
            throw EngineError.shapeMismatch("\(x.count) values do not split into groups of \(m)")
        }
        let groups = x.count / m
        var out = [Float](repeating: 0, count: x.count)
        var means = [Float](repeating: 0, count: groups), inverse = [Float](repeating: 0, count: groups)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for gi in 0..<groups {
                    let base = gi * m
                    var sum = 0.0
                    for j in 0..<m { sum += Double(px[base + j]) }
                    let mu = sum / Double(m)
                    var sq = 0.0
                    for j in 0..<m { let d = Double(px[base + j]) - mu; sq += d * d }
                    let inv = 1 / (sq / Double(m) + Double(epsilon)).squareRoot()
                    for j in 0..<m { po[base + j] = Float((Double(px[base + j]) - mu) * inv) }
                    means[gi] = Float(mu)
                    inverse[gi] = Float(inv)
                }
            }
        }
        return (out, means, inverse)
    }

    /// ∂L/∂x from ∂L/∂x̂ (`gHat`): per group (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
    public static func inputGradient(_ gHat: [Float], input x: [Float], groupSize m: Int, epsilon: Float) throws -> [Float] {
        let (xHat, _, inverse) = try standardized(x, groupSize: m, epsilon: epsilon)
        var d = [Float](repeating: 0, count: x.count)
        for gi in 0..<(x.count / m) {
            let base = gi * m
            var meanG = 0.0, meanGX = 0.0
            for j in 0..<m { meanG += Double(gHat[base + j]); meanGX += Double(gHat[base + j]) * Double(xHat[base + j]) }
            meanG /= Double(m); meanGX /= Double(m)
            for j in 0..<m {
                d[base + j] = Float(Double(inverse[gi]) * (Double(gHat[base + j]) - meanG - Double(xHat[base + j]) * meanGX))
            }
        }
        return d
    }
}
