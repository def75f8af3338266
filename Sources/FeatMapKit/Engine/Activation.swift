import Foundation

/// Elementwise activation functions of CNN layers.
public enum Activation: Sendable, Equatable {
    /// max(0, x)
    case relu
    /// x for x ≥ 0, αx otherwise (ONNX default α = 0.01)
    case leakyRelu(alpha: Float)
    /// 1 / (1 + e^−x)
    case sigmoid
    case tanh
    /// min(max(x, lo), hi)
    case clip(min: Float, max: Float)
    /// x · σ(x) (SiLU, or swish): what ONNX graphs write as a Sigmoid and a Mul of its input by it,
    /// computed the same way, so the values are theirs bit for bit.
    case silu

    /// The activation applied to every element; the shape is kept.
    public func applied(to input: Tensor) -> Tensor {
        var out = input
        apply(to: &out)
        return out
    }

    /// The activation applied in place: no copy when `tensor` holds the only reference to its storage.
    public func apply(to tensor: inout Tensor) {
        let n = tensor.count
        guard n > 0 else { return }
        tensor.storage.withUnsafeMutableBufferPointer { buf in
            let p = SendablePointer(buf.baseAddress!)
            Parallel.forEachChunk(n, minimumChunk: 1 << 16) { range in
                apply(to: p.base + range.lowerBound, count: range.count)
            }
        }
    }

    /// The activation applied in place to `count` floats at `v`, on the calling thread: a convolution
    /// applies it to each block of its output while the block is still in cache.
    @inline(__always)
    func apply(to v: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            // A select rather than a conditional store, so the loop vectorises; NaN stays NaN.
            for i in 0..<count { let x = v[i]; v[i] = x < 0 ? 0 : x }
        case .leakyRelu(let alpha):
            for i in 0..<count { let x = v[i]; v[i] = x < 0 ? x * alpha : x }
        case .sigmoid:
            VectorExp.sigmoid(v, count: count)
        case .tanh:
            for i in 0..<count { v[i] = Foundation.tanh(v[i]) }
        case .clip(let lo, let hi):
            for i in 0..<count { v[i] = Swift.min(Swift.max(v[i], lo), hi) }
        case .silu:
            VectorExp.silu(v, count: count)
        }
    }
}
