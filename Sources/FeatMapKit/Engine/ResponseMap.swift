/// Turns raw filter responses (native units of the input) into an image of 8 or 16 bits.
///
/// Per sample, with M the input's maximum (255 or 65535) and M_out the output's:
///   clamp      t = scale·r
///   abs        t = scale·|r|
///   offset     t = scale·r + (M + 1)/2              (mid-grey: 128 on 8 bits, 32768 on 16)
///   normalize  t = scale·M·(r − min)/(max − min)     (min, max over all channels; t = 0 when max = min)
/// then v = t·M_out/M + bias, rounded half to even (OpenCV's saturate_cast uses cvRound, which rounds
/// ties to even) and clamped to 0...M_out. So bias is in output grey levels, and a response keeps its
/// brightness whatever the output depth.
public struct ResponseMap: Sendable {
    public var mode: ResponseMode
    public var scale: Float = 1
    public var bias: Float = 0

    public init(mode: ResponseMode, scale: Float = 1, bias: Float = 0) {
        self.mode = mode
        self.scale = scale
        self.bias = bias
    }

    /// The mapped planes as an image of `depth` bits (8 or 16; anything else is treated as 8), the
    /// response's alpha rescaled to that depth.
    public func image(from response: FilterResponse, depth: Int) -> Image {
        let outDepth = depth == 16 ? 16 : 8
        let inMax: Float = response.bitDepth == 16 ? 65535 : 255
        let outMax: Float = outDepth == 16 ? 65535 : 255
        let toOutput = outMax / inMax
        var planes = response.responses
        let r = planes.storage
        let (scale, bias) = (self.scale, self.bias)
        // t = a·x + b in input units, then v = t·toOutput + bias.
        var a: Float = scale, b: Float = 0
        switch mode {
        case .clamp, .abs: break
        case .offset: b = (inMax + 1) / 2
        case .normalize:
            let lo = r.min() ?? 0, hi = r.max() ?? 0
            if hi > lo {
                a = scale * inMax / (hi - lo)
                b = -a * lo
            } else {
                a = 0
            }
        }
        let takeAbs = mode == .abs
        planes.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                let x = takeAbs ? Swift.abs(p[i]) : p[i]
                p[i] = Self.quantized((a * x + b) * toOutput + bias, max: outMax)
            }
        }
        let alpha = response.alpha.map { $0.map { Self.quantized($0 * toOutput, max: outMax) } }
        if planes.shape.count == 2 { planes = planes.reshaped([1] + planes.shape) }
        return Image(planes: planes, alpha: alpha, bitDepth: outDepth)
    }

    /// Round half to even, then clip to 0...max; NaN becomes 0.
    @inline(__always)
    static func quantized(_ v: Float, max: Float) -> Float {
        guard v == v else { return 0 }
        return Swift.min(Swift.max(v.rounded(.toNearestOrEven), 0), max)
    }
}
