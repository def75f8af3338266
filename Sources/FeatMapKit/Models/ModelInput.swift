/// Reading one network input from a file: a `.npy` tensor is the input itself; an image is
/// decoded and preprocessed as the model says.
extension Model {
    public func input(fromFile path: String, decodeOptions: DecodeOptions = DecodeOptions()) throws -> (tensor: Tensor, seen: Image?) {
        let batch = try inputs(fromFile: path, decodeOptions: decodeOptions)
        guard batch.count == 1 else {
            throw ModelError.badInput("\(path): a .npy input must be the network input [C, H, W] or [1, C, H, W]; got shape \(batch.shape)")
        }
        return (batch.sample(0), batch.picture(ofSample: 0))
    }

    /// Every network input a file holds: one for an image, a [C, H, W] or [1, C, H, W] .npy; N for an
    /// [N, C, H, W] .npy, each of which runs as its own pass. `keepingPicture: false` skips the picture of
    /// what the network saw (`picture(ofSample:)` then draws the tensor), for callers that only classify.
    public func inputs(fromFile path: String, decodeOptions: DecodeOptions = DecodeOptions(),
                       keepingPicture: Bool = true) throws -> InputSamples {
        let bytes = try InputFile.read(path)
        // By content, as the image reader decides, whatever the file is called.
        if ImageFormat.detect(bytes) == .npy {
            let t = try NPY.decode(bytes, source: path)
            guard t.rank == 3 || t.rank == 4 else {
                throw ModelError.badInput("\(path): a .npy input must be the network input [C, H, W], or [N, C, H, W] for N samples; got shape \(t.shape)")
            }
            let sample = Array(t.shape.suffix(3))
            let declared = graph.inputShape
            if declared.count == 4, declared[1] > 0, declared[1] != sample[0] {
                throw ModelError.badInput("\(path): the model takes \(declared[1]) channels, the .npy has \(sample[0]) (shape \(t.shape)); pass [C, H, W] or [N, C, H, W] with C = \(declared[1])")
            }
            let n = t.rank == 4 ? t.shape[0] : 1
            guard n >= 1 else { throw ModelError.badInput("\(path): the .npy holds no sample (shape \(t.shape)); give at least one") }
            return InputSamples(storage: t.storage, sampleShape: sample, count: n, seen: nil)
        }
        let declared = graph.inputShape
        if declared.count == 4, declared[1] > 0, declared[1] != preprocessing.channels {
            throw ModelError.badPreprocessing("the model takes \(declared[1]) input channel\(declared[1] == 1 ? "" : "s"), but the preprocessing makes \(preprocessing.channels) (\(preprocessing.color.rawValue)); use --color \(declared[1] == 1 ? "grey" : "rgb or bgr")")
        }
        let image = try ImageDecoder.decode(bytes, source: path, options: decodeOptions)
        guard keepingPicture else {
            let tensor = try preprocessing.normalised(try preprocessing.fitted(image))
            return InputSamples(storage: tensor.storage, sampleShape: tensor.shape, count: 1, seen: nil)
        }
        let prepared = try preprocessing.prepared(image)
        return InputSamples(storage: prepared.tensor.storage, sampleShape: prepared.tensor.shape, count: 1, seen: prepared.seen)
    }

    /// A picture of a tensor input: 1 or 3 channels stretched from their min…max to 0…255, or nil.
    public static func picture(of t: Tensor) -> Image? {
        guard let (c, h, w) = t.planeShape, c == 1 || c == 3, t.count > 0 else { return nil }
        let lo = t.minimum, hi = t.maximum
        let scale: Float = hi > lo ? 255 / (hi - lo) : 0
        let planes = Tensor(shape: [c, h, w], storage: t.storage.map { (($0 - lo) * scale).rounded() })
        return Image(planes: planes, alpha: nil, bitDepth: 8)
    }
}

/// The samples of one input file, each a [C, H, W] network input: an image's one, or the N of an
/// [N, C, H, W] .npy (held once, each sample copied out when its pass runs).
public struct InputSamples: Sendable {
    let storage: [Float]
    /// [C, H, W] of every sample.
    public let sampleShape: [Int]
    public let count: Int
    /// The fitted image an image input was made from (nil for a .npy).
    let seen: Image?

    /// The file's shape: [C, H, W] for one sample, [N, C, H, W] for several.
    public var shape: [Int] { count == 1 ? sampleShape : [count] + sampleShape }

    /// Bytes of float32 the samples hold.
    public var bytes: Int { storage.count * MemoryLayout<Float>.size }

    /// Sample k as [C, H, W].
    public func sample(_ k: Int) -> Tensor {
        precondition(k >= 0 && k < count, "sample \(k) of \(count)")
        if count == 1 { return Tensor(shape: sampleShape, storage: storage) }
        let n = sampleShape.reduce(1, *)
        return Tensor(shape: sampleShape, storage: Array(storage[(k * n)..<((k + 1) * n)]))
    }

    /// What the network saw for sample k: the fitted image, or a .npy sample's picture (see `Model.picture(of:)`).
    public func picture(ofSample k: Int) -> Image? { seen ?? Model.picture(of: sample(k)) }
}
