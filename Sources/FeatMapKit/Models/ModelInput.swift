/// Reading one network input from a file: a `.npy` tensor is the input itself; an image is
/// decoded and preprocessed as the model says.
extension Model {
    public func input(fromFile path: String, decodeOptions: DecodeOptions = DecodeOptions()) throws -> (tensor: Tensor, seen: Image?) {
        let bytes = try InputFile.read(path)
        if path.lowercased().hasSuffix(".npy") {
            var t = try NPY.decode(bytes, source: path)
            if t.rank == 4 && t.shape[0] == 1 { t = t.reshaped(Array(t.shape.dropFirst())) }
            guard t.rank == 3 else {
                throw ModelError.badInput("\(path): a .npy input must be the network input [C, H, W] or [1, C, H, W]; got shape \(t.shape)")
            }
            let declared = graph.inputShape
            if declared.count == 4, declared[1] > 0, declared[1] != t.shape[0] {
                throw ModelError.badInput("\(path): the model takes \(declared[1]) channels, the .npy has \(t.shape[0]) (shape \(t.shape)); pass [C, H, W] with C = \(declared[1])")
            }
            return (t, Model.picture(of: t))
        }
        let declared = graph.inputShape
        if declared.count == 4, declared[1] > 0, declared[1] != preprocessing.channels {
            throw ModelError.badPreprocessing("the model takes \(declared[1]) input channel\(declared[1] == 1 ? "" : "s"), but the preprocessing makes \(preprocessing.channels) (\(preprocessing.color.rawValue)); use --color \(declared[1] == 1 ? "grey" : "rgb or bgr")")
        }
        let image = try ImageDecoder.decode(bytes, source: path, options: decodeOptions)
        let prepared = try preprocessing.prepared(image)
        return (prepared.tensor, prepared.seen)
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
