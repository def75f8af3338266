import Foundation

/// Softmax: e^(x − max) / Σ e^(x − max) over groups of values.
/// Before opset 13 ONNX flattens the input to 2-D at `axis` and normalises each row of
/// everything from `axis` on; from opset 13 it normalises along `axis` alone.
/// LogSoftmax (`logarithmic`) is x − max − log Σ e^(x − max) over the same groups, which stays finite
/// where the softmax itself underflows to 0.
public struct Softmax: Sendable, Equatable {
    public var axis: Int
    public var flattensTrailingAxes: Bool
    public var logarithmic: Bool

    public init(axis: Int, flattensTrailingAxes: Bool, logarithmic: Bool = false) {
        self.axis = axis; self.flattensTrailingAxes = flattensTrailingAxes; self.logarithmic = logarithmic
    }

    public func applied(to input: Tensor) throws -> Tensor {
        let rank = input.rank
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else {
            throw EngineError.invalidParameter("softmax axis \(axis) is outside a tensor of rank \(rank)")
        }
        let outer = input.shape[..<a].reduce(1, *)
        let length = flattensTrailingAxes ? input.shape[a...].reduce(1, *) : (rank > 0 ? input.shape[a] : 1)
        let inner = flattensTrailingAxes ? 1 : input.shape[(a + 1)...].reduce(1, *)
        var out = input.storage
        guard !out.isEmpty else { return input }
        out.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = p + o * length * inner + i
                    var top = -Float.infinity
                    for j in 0..<length { top = max(top, base[j * inner]) }
                    var sum: Float = 0
                    if logarithmic {
                        for j in 0..<length { sum += Foundation.exp(base[j * inner] - top) }
                        let shift = top + Foundation.log(sum)
                        for j in 0..<length { base[j * inner] -= shift }
                        continue
                    }
                    for j in 0..<length { let e = Foundation.exp(base[j * inner] - top); base[j * inner] = e; sum += e }
                    for j in 0..<length { base[j * inner] /= sum }
                }
            }
        }
        return Tensor(shape: input.shape, storage: out)
    }
}
