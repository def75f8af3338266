/// A decoded raster image in memory: interleaved samples in the source's native units
/// (0...255 for 8-bit sources, 0...65535 for 16-bit ones), kept as Float so that 16-bit
/// precision survives filtering. Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
/// The on-disk format (palette, bit depth 1–16, CMYK…) is the codecs' business, not this type's.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// 8 or 16: the precision of `samples` and the range `0...maxValue`.
    public var bitDepth: Int
    public var samples: [Float]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [Float]) {
        precondition(samples.count == width * height * channels)
        precondition(bitDepth == 8 || bitDepth == 16)
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
    }

    public init(width: Int, height: Int, channels: Int, bitDepth: Int = 8, repeating value: Float = 0) {
        self.init(width: width, height: height, channels: channels, bitDepth: bitDepth,
                  samples: [Float](repeating: value, count: width * height * channels))
    }

    public var maxValue: Float { bitDepth == 16 ? 65535 : 255 }
    public var hasAlpha: Bool { channels == 2 || channels == 4 }
    public var colorChannels: Int { hasAlpha ? channels - 1 : channels }
    public var pixelCount: Int { width * height }

    /// The colour channels as planes of a [C, H, W] tensor (alpha left out).
    public var colorPlanes: Tensor {
        let c = colorChannels
        var out = [Float](repeating: 0, count: c * pixelCount)
        samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<pixelCount {
                    for k in 0..<c { dst[k * pixelCount + p] = src[p * channels + k] }
                }
            }
        }
        return Tensor(shape: [c, height, width], storage: out)
    }

    /// The alpha channel as one [H, W] plane, or nil when the image has none.
    public var alphaPlane: [Float]? {
        guard hasAlpha else { return nil }
        var out = [Float](repeating: 0, count: pixelCount)
        for p in 0..<pixelCount { out[p] = samples[p * channels + channels - 1] }
        return out
    }

    /// Builds an image from colour planes [C, H, W] (C = 1 or 3) and an optional alpha plane.
    public init(planes: Tensor, alpha: [Float]?, bitDepth: Int) {
        guard let (c, h, w) = planes.planeShape else { preconditionFailure("planes must be [C, H, W]") }
        let channels = c + (alpha == nil ? 0 : 1)
        var out = [Float](repeating: 0, count: h * w * channels)
        let n = h * w
        planes.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<n {
                    for k in 0..<c { dst[p * channels + k] = src[k * n + p] }
                }
                if let alpha {
                    for p in 0..<n { dst[p * channels + c] = alpha[p] }
                }
            }
        }
        self.init(width: w, height: h, channels: channels, bitDepth: bitDepth, samples: out)
    }

    /// Rec. 601 luma (0.299 R + 0.587 G + 0.114 B, as OpenCV's COLOR_RGB2GRAY), alpha kept.
    public var grayscale: Image {
        guard colorChannels == 3 else { return self }
        let outC = hasAlpha ? 2 : 1
        var out = [Float](repeating: 0, count: pixelCount * outC)
        for p in 0..<pixelCount {
            let r = samples[p * channels], g = samples[p * channels + 1], b = samples[p * channels + 2]
            out[p * outC] = 0.299 * r + 0.587 * g + 0.114 * b
            if hasAlpha { out[p * outC + 1] = samples[p * channels + 3] }
        }
        return Image(width: width, height: height, channels: outC, bitDepth: bitDepth, samples: out)
    }
}
