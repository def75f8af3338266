/// A dense float32 tensor in row-major order. Feature maps are [C, H, W]; a batch
/// dimension in front ([N, C, H, W]) is allowed where a layer needs it.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not hold \(storage.count) values")
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// Channels, height and width of a [C, H, W] or [1, C, H, W] tensor.
    public var planeShape: (channels: Int, height: Int, width: Int)? {
        switch shape.count {
        case 3: return (shape[0], shape[1], shape[2])
        case 4 where shape[0] == 1: return (shape[1], shape[2], shape[3])
        case 2: return (1, shape[0], shape[1])
        default: return nil
        }
    }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    public var minimum: Float { storage.min() ?? 0 }
    public var maximum: Float { storage.max() ?? 0 }
    public var mean: Float {
        guard !storage.isEmpty else { return 0 }
        var sum = 0.0
        for v in storage { sum += Double(v) }
        return Float(sum / Double(storage.count))
    }
}

extension Int {
    /// An integer stored in a float tensor (a shape, an index, an axis): rounded toward zero and
    /// clamped to Int's range, NaN as 0, so that ONNX's INT64_MAX sentinels ("to the end") and hostile
    /// values never trap.
    init(saturating value: Float) {
        if value.isNaN { self = 0 } else if value >= 9.2e18 { self = Int.max } else if value <= -9.2e18 { self = Int.min } else { self = Int(value) }
    }
}

/// Steps a row-major multi-index one place on (the last axis fastest), each axis d below `shape[d]`;
/// the odometer behind the broadcasting, reducing and transposing loops.
@inline(__always) func advance(_ index: inout [Int], within shape: [Int]) {
    var d = index.count - 1
    while d >= 0 {
        index[d] += 1
        if index[d] < shape[d] { return }
        index[d] = 0
        d -= 1
    }
}
