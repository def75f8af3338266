/// e^x for the activations that need it on every element of a feature map (Sigmoid, and so SiLU and
/// the squeeze-and-excitation gates of EfficientNet and MobileNet v3), in loops that the compiler
/// vectorises: a call to the C library's `expf` per element cost more than the convolutions around it.
///
/// Cody–Waite range reduction x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so n·ln 2 is
/// exact), e^r by Cephes' degree-5 minimax polynomial, and 2^n put into the exponent bits; within 2 ulp
/// of the correctly rounded value over the whole range (`VectorExpTests` checks this against the
/// double-precision exponential on 400,000 points of [−87.3, 88.7]). Below −87.3 the result is 0 (where `expf` gives subnormals,
/// under 1.2e−38), above 88.7 it is +∞, and NaN stays NaN.
enum VectorExp {
    typealias Vector = SIMD16<Float>

    /// e^x of one float, written without branches (selects only) so that the loops that call it
    /// vectorise: the same operations on SIMD16 values compiled to lane-by-lane code for the rounding
    /// and the integer conversion, and took 2–3 times as long as this loop (docs/benchmark.md#whole-cnns-issue-18).
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let hi: Float = 88.72283, lo: Float = -87.33654
        let clamped = Swift.min(Swift.max(x, lo), hi)
        // Round to nearest even by the 1.5·2^23 shifter: t's low mantissa bits then hold n as an integer.
        let t = clamped * 1.442695041 + 12_582_912
        let n = t - 12_582_912
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        let r2 = r * r
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r2 + r + 1
        // 2^n for n in [−126, 128]: build it in two halves so n = 128 (x near the top) does not overflow
        // the exponent field before the product rounds it to +∞ where it must.
        let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        let half = ni &>> 1
        let a = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let b = Float(bitPattern: UInt32(bitPattern: (ni &- half &+ 127) &<< 23))
        var result = er * a * b
        result = x < lo ? 0 : result
        result = x > hi ? .infinity : result
        result = x != x ? x : result
        return result
    }

    /// e^x lane by lane.
    static func exp(_ x: Vector) -> Vector {
        var y = Vector()
        for i in 0..<Vector.scalarCount { y[i] = exp(x[i]) }
        return y
    }

    /// 1 / (1 + e^−x) in place on `count` floats: e^−x is +∞ for x below −88.7, so the result there is 0,
    /// as it should be, and 1 where e^−x underflows.
    static func sigmoid(_ v: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { v[i] = 1 / (1 + exp(-v[i])) }
    }
}
