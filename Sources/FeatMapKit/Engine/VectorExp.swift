import CVectorMath

/// e^x for the activations that need it on every element of a feature map (Sigmoid, and so SiLU and
/// the squeeze-and-excitation gates of EfficientNet and MobileNet v3). A call to the C library's `expf`
/// per element cost more than the convolutions around it, so the loops are C (`Sources/CVectorMath`),
/// compiled for AVX-512, AVX2 and the SSE2 baseline and chosen at load by the CPU, with floating-point
/// contraction off so that every version gives the same bits (`VectorExpTests` compares them).
///
/// Cody–Waite range reduction x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so n·ln 2 is
/// exact), e^r by Cephes' degree-5 minimax polynomial, and 2^n put into the exponent bits; within 2 ulp
/// of the correctly rounded value over the whole range (`VectorExpTests` checks this against the
/// double-precision exponential on 400,000 points of [−87.3, 88.7]). Below −87.3 the result is 0 (where `expf` gives subnormals,
/// under 1.2e−38), above 88.7 it is +∞, and NaN stays NaN.
enum VectorExp {
    typealias Vector = SIMD16<Float>

    /// The instruction set the loops run with on this CPU: "avx512f", "avx2" or "baseline".
    static var instructionSet: String { String(cString: fm_vector_math_isa()) }

    /// e^x lane by lane.
    static func exp(_ x: Vector) -> Vector {
        var y = x
        withUnsafeMutableBytes(of: &y) { fm_exp($0.baseAddress!.assumingMemoryBound(to: Float.self), Vector.scalarCount) }
        return y
    }

    /// 1 / (1 + e^−x) in place on `count` floats: e^−x is +∞ for x below −88.7, so the result there is 0,
    /// as it should be, and 1 where e^−x underflows.
    static func sigmoid(_ v: UnsafeMutablePointer<Float>, count: Int) { fm_sigmoid(v, count) }

    /// x · σ(x) in place on `count` floats: σ(x) as `sigmoid` computes it, then the product, as a
    /// Sigmoid and a Mul by its input compute SiLU in an ONNX graph.
    static func silu(_ v: UnsafeMutablePointer<Float>, count: Int) { fm_silu(v, count) }
}
