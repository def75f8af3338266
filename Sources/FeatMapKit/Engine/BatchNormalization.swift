import Foundation

/// Batch normalisation at inference: y = (x − mean) / √(var + ε) · scale + bias, per channel.
/// Folded once into y = x · a + b with a = scale / √(var + ε), b = bias − mean · a.
public struct BatchNormalization: Sendable {
    public var scale: [Float], bias: [Float], mean: [Float], variance: [Float]
    public var epsilon: Float

    public init(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float = 1e-5) throws {
        let c = scale.count
        guard bias.count == c, mean.count == c, variance.count == c else {
            throw EngineError.shapeMismatch("batch normalisation needs scale, bias, mean and variance of one length; got \(scale.count), \(bias.count), \(mean.count), \(variance.count)")
        }
        self.scale = scale; self.bias = bias; self.mean = mean; self.variance = variance; self.epsilon = epsilon
    }

    /// The per-channel a and b of y = x · a + b.
    var folded: (factors: [Float], offsets: [Float]) {
        let factors = (0..<scale.count).map { scale[$0] / (variance[$0] + epsilon).squareRoot() }
        return (factors, (0..<scale.count).map { bias[$0] - mean[$0] * factors[$0] })
    }

    /// Normalises an ONNX-layout tensor [N, C, …] (channels on axis 1).
    public func applied(to input: Tensor) throws -> Tensor {
        let c = scale.count
        guard input.rank >= 2, input.shape[1] == c else {
            throw EngineError.shapeMismatch("batch normalisation for \(c) channels cannot take an input of shape \(input.shape)")
        }
        let n = input.shape[0], plane = input.shape.dropFirst(2).reduce(1, *)
        var out = input.storage
        guard !out.isEmpty else { return input }
        let (factors, offsets) = folded
        out.withUnsafeMutableBufferPointer { buf in
            let base = SendablePointer(buf.baseAddress!)
            // Planes split over the workers (DenseNet normalises every dense layer's input).
            Parallel.forEachChunk(n * c, minimumChunk: max(1, (1 << 15) / max(1, plane))) { range in
                for item in range {
                    let ch = item % c
                    let p = base.base + item * plane
                    let a = factors[ch], o = offsets[ch]
                    for i in 0..<plane { p[i] = p[i] * a + o }
                }
            }
        }
        return Tensor(shape: input.shape, storage: out)
    }
}
