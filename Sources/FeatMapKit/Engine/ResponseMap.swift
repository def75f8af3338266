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

    /// t = a·x + b in input units (x = |r| for abs), then v = t·toOutput + bias: the coefficients for
    /// one response, shared by the float and the byte paths so that both give the same pixels.
    struct Coefficients {
        var a: Float, b: Float, toOutput: Float, bias: Float, outMax: Float, takeAbs: Bool
        @inline(__always) func value(_ r: Float) -> Float {
            ResponseMap.quantized((a * (takeAbs ? Swift.abs(r) : r) + b) * toOutput + bias, max: outMax)
        }
    }

    func coefficients(for response: FilterResponse, depth outDepth: Int) -> Coefficients {
        let inMax: Float = response.bitDepth == 16 ? 65535 : 255
        let outMax: Float = outDepth == 16 ? 65535 : 255
        var a: Float = scale, b: Float = 0
        switch mode {
        case .clamp, .abs: break
        case .offset: b = (inMax + 1) / 2
        case .normalize:
            let r = response.responses.storage
            let lo = r.min() ?? 0, hi = r.max() ?? 0
            if hi > lo {
                a = scale * inMax / (hi - lo)
                b = -a * lo
            } else {
                a = 0
            }
        }
        return Coefficients(a: a, b: b, toOutput: outMax / inMax, bias: bias, outMax: outMax, takeAbs: mode == .abs)
    }

    /// The mapped planes as an image of `depth` bits (8 or 16; anything else is treated as 8), the
    /// response's alpha rescaled to that depth.
    public func image(from response: FilterResponse, depth: Int) -> Image {
        let outDepth = depth == 16 ? 16 : 8
        let k = coefficients(for: response, depth: outDepth)
        var planes = response.responses
        planes.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = k.value(p[i]) }
        }
        let alpha = response.alpha.map { $0.map { Self.quantized($0 * k.toOutput, max: k.outMax) } }
        if planes.shape.count == 2 { planes = planes.reshaped([1] + planes.shape) }
        return Image(planes: planes, alpha: alpha, bitDepth: outDepth)
    }

    /// The same pixels as `image(from:depth: 8)`, as interleaved 8-bit samples ready for the encoder,
    /// in one pass instead of three (map, interleave, convert): colour channels, then alpha when
    /// `keepAlpha` and the response has one. Returns the samples and the channel count.
    public func bytes(from response: FilterResponse, keepAlpha: Bool) -> (samples: [UInt8], channels: Int) {
        let k = coefficients(for: response, depth: 8)
        let r = response.responses
        let c = r.shape.count == 3 ? r.shape[0] : 1
        let n = r.count / max(c, 1)
        let alpha = keepAlpha ? response.alpha : nil
        let channels = c + (alpha == nil ? 0 : 1)
        // In blocks: the map runs over contiguous floats (vectorised; `abs` decided outside the loop),
        // then the block's bytes are interleaved into place.
        let block = 2048
        let alphaSamples = alpha ?? []
        let out = [UInt8](unsafeUninitializedCapacity: n * channels) { dstBuf, initialized in
            r.storage.withUnsafeBufferPointer { srcBuf in
                alphaSamples.withUnsafeBufferPointer { alphaBuf in
                    let dst = SendablePointer(dstBuf.baseAddress!), src = SendableConstPointer(srcBuf.baseAddress!)
                    // An empty array can still have a base address: whether there is alpha comes from `alpha`.
                    let a = alpha == nil ? nil : alphaBuf.baseAddress.map(SendableConstPointer.init)
                    // Blocks of pixels over the cores: the encoder thread calls this, and for PNG it is
                    // the one the whole pipeline waits for.
                    Parallel.forEachChunk((n + block - 1) / block, minimumChunk: 16) { blocks in
                        let mapped = UnsafeMutablePointer<UInt8>.allocate(capacity: block * channels)
                        defer { mapped.deallocate() }
                        for b in blocks {
                            let p0 = b * block, m = min(block, n - p0)
                            for ch in 0..<channels {
                                let tmp = mapped + ch * block
                                if ch < c {
                                    let plane = src.base + ch * n + p0
                                    if k.takeAbs {
                                        for i in 0..<m { tmp[i] = Self.byte((k.a * Swift.abs(plane[i]) + k.b) * k.toOutput + k.bias) }
                                    } else {
                                        for i in 0..<m { tmp[i] = Self.byte((k.a * plane[i] + k.b) * k.toOutput + k.bias) }
                                    }
                                } else if let a {
                                    let alphaRow = a.base + p0
                                    for i in 0..<m { tmp[i] = Self.byte(alphaRow[i] * k.toOutput) }
                                }
                            }
                            // One pass over the destination, a pixel at a time.
                            let d = dst.base + p0 * channels
                            switch channels {
                            case 1: d.update(from: mapped, count: m)
                            case 3:
                                let (r, g, bl) = (mapped, mapped + block, mapped + 2 * block)
                                for i in 0..<m { d[3 * i] = r[i]; d[3 * i + 1] = g[i]; d[3 * i + 2] = bl[i] }
                            default:
                                for i in 0..<m { for ch in 0..<channels { d[i * channels + ch] = mapped[ch * block + i] } }
                            }
                        }
                    }
                }
            }
            initialized = n * channels
        }
        return (out, channels)
    }

    /// Round half to even, then clip to 0...max; NaN becomes 0.
    @inline(__always)
    static func quantized(_ v: Float, max: Float) -> Float {
        // Clipping first changes nothing (the bounds are whole numbers) and brings v under 2²³, where
        // adding and subtracting 1.5·2²³ rounds half to even in the default rounding mode: the same
        // result as rounded(.toNearestOrEven), which is a libm call on baseline x86-64. NaN fails
        // `v > 0` and becomes 0.
        let c = v > 0 ? (v < max ? v : max) : 0
        return (c + 12_582_912) - 12_582_912
    }

    /// `UInt8(quantized(v, max: 255))` without a conversion check: 1.5·2²³ + k, for a whole k below
    /// 2²², carries k in the low bits of its significand.
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let c = v > 0 ? (v < 255 ? v : 255) : 0
        return UInt8(truncatingIfNeeded: (c + 12_582_912).bitPattern)
    }
}
