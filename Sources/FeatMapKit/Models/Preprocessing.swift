/// How an image becomes a network input, stored as JSON under `featmap.preprocessing`:
/// `{"width":28,"height":28,"color":"grey","fit":"digit","range":[0,1],"mean":[0.1307],"std":[0.3081]}`.
///
/// Each pixel p (0…255) becomes ((lo + p/255·(hi − lo)) − mean[c]) / std[c] for range [lo, hi].
public struct Preprocessing: Codable, Sendable, Equatable {
    public enum Color: String, Codable, Sendable, CaseIterable { case grey, rgb, bgr }

    /// How the image is brought to width × height.
    public enum Fit: String, Codable, Sendable, CaseIterable {
        /// MNIST-style: grey, inverted when the background is light, cropped to the ink, fitted
        /// into a box of 20/28 of the input keeping the aspect ratio, centred by centre of mass.
        case digit
        /// Natural images: shorter side resized to the input size, then the centre cropped.
        case crop
        /// Both sides resized to the input size, aspect ratio not kept.
        case stretch
    }

    public var width: Int
    public var height: Int
    public var color: Color
    public var fit: Fit
    public var range: [Float]
    public var mean: [Float]
    public var std: [Float]

    public init(width: Int, height: Int, color: Color, fit: Fit, range: [Float] = [0, 1], mean: [Float] = [0], std: [Float] = [1]) {
        self.width = width; self.height = height; self.color = color; self.fit = fit
        self.range = range; self.mean = mean; self.std = std
    }

    public var channels: Int { color == .grey ? 1 : 3 }

    /// What a model file that says nothing implies: size and channels from the declared input
    /// [N, C, H, W]; one channel of 28×28 is taken for a digit model; values 0…1 without mean or std.
    public static func defaults(forInputShape shape: [Int]) -> Preprocessing {
        let dims = shape.count >= 3 ? Array(shape.suffix(3)) : [3, 224, 224]
        let c = dims[0] > 0 ? dims[0] : 3
        let h = dims[1] > 0 ? dims[1] : 224, w = dims[2] > 0 ? dims[2] : 224
        let digit = c == 1 && h == 28 && w == 28
        return Preprocessing(width: w, height: h, color: c == 1 ? .grey : .rgb, fit: digit ? .digit : .crop)
    }

    /// Checks the values a file or the user gave.
    public func validated() throws -> Preprocessing {
        guard width >= 1, height >= 1, width <= 16384, height <= 16384 else {
            throw ModelError.badPreprocessing("input size \(width)×\(height) is not usable; give a size between 1 and 16384")
        }
        guard range.count == 2, range[0] != range[1] else {
            throw ModelError.badPreprocessing("pixel range must be two different numbers LO,HI (e.g. 0,1 or 0,255); got \(range)")
        }
        for (label, v) in [("mean", mean), ("std", std)] where v.count != 1 && v.count != channels {
            let expected = channels == 1 ? "1 value" : "1 or \(channels) values"
            throw ModelError.badPreprocessing("\(label) needs \(expected) for \(color.rawValue) input; got \(v.count)")
        }
        guard std.allSatisfy({ $0 != 0 && $0.isFinite }) else {
            throw ModelError.badPreprocessing("std must be non-zero; got \(std)")
        }
        return self
    }
}
