/// A network input made from an image: the tensor the network gets and the picture it saw.
public struct PreparedInput: Sendable {
    /// [C, H, W] after normalisation.
    public var tensor: Tensor
    /// The fitted image before normalisation, 8-bit grey or RGB (shown in RGB order even for BGR models).
    public var seen: Image
}

extension Preprocessing {
    /// Turns a decoded image into the network input described by `self`.
    public func prepared(_ image: Image) throws -> PreparedInput {
        let fitted = try self.fitted(image)
        let seen = Image(planes: fitted, alpha: nil, bitDepth: 8)
        let roundedSeen = Image(width: seen.width, height: seen.height, channels: seen.channels, bitDepth: 8,
                                samples: seen.samples.map { $0.rounded() })
        return PreparedInput(tensor: try normalised(fitted), seen: roundedSeen)
    }

    /// The image brought to the network's size and channels, before normalisation: [C, H, W] with
    /// values 0…255, RGB order for colour. `refit: false` takes an image that already has the input
    /// size as it is (colour converted, no fitting), as a data set's digits go in.
    public func fitted(_ image: Image, refit: Bool = true) throws -> Tensor {
        let p = try validated()
        guard image.width > 0, image.height > 0 else { throw ModelError.badInput("the image is empty") }
        let asItIs = !refit && image.width == p.width && image.height == p.height
        var planes = Preprocessing.planes255(image, compositeOverWhite: p.fit == .digit && !asItIs)
        // Colour conversion first, so that fitting works on the planes the network gets.
        let wantsGrey = p.color == .grey || (p.fit == .digit && !asItIs)
        if wantsGrey && planes.shape[0] == 3 { planes = Preprocessing.luma(planes) }
        var fitted: Tensor
        if asItIs {
            fitted = planes
        } else {
            switch p.fit {
            case .digit: fitted = Preprocessing.digitFitted(planes, width: p.width, height: p.height)
            case .stretch: fitted = Resampling.resized(planes, width: p.width, height: p.height)
            case .crop:
                let (h, w) = (Double(planes.shape[1]), Double(planes.shape[2]))
                let s = max(Double(p.width) / w, Double(p.height) / h)
                let bw = Double(p.width) / s, bh = Double(p.height) / s
                let x0 = (w - bw) / 2, y0 = (h - bh) / 2
                fitted = Resampling.resized(planes, width: p.width, height: p.height, box: (x0, y0, x0 + bw, y0 + bh))
            }
        }
        if p.color != .grey && fitted.shape[0] == 1 {
            fitted = Tensor(shape: [3] + fitted.shape.dropFirst(), storage: fitted.storage + fitted.storage + fitted.storage)
        }
        fitted.storage = fitted.storage.map { min(max($0, 0), 255) }
        return fitted
    }

    /// Fitted planes (see `fitted(_:)`) as the network input: BGR reordered when the model asks, each
    /// value p becoming ((lo + p/255·(hi − lo)) − mean[c]) / std[c].
    public func normalised(_ fitted: Tensor) throws -> Tensor {
        let p = try validated()
        guard let (c, h, w) = fitted.planeShape, c == p.channels else {
            throw ModelError.badInput("the input planes \(fitted.shape) do not match the preprocessing (\(p.channels) channels)")
        }
        var input = fitted
        let n = h * w
        if p.color == .bgr {
            input.storage = Array(fitted.storage[(2 * n)..<(3 * n)] + fitted.storage[n..<(2 * n)] + fitted.storage[0..<n])
        }
        let lo = p.range[0], span = p.range[1] - p.range[0]
        input.storage.withUnsafeMutableBufferPointer { buf in
            for ch in 0..<c {
                let m = p.mean.count == 1 ? p.mean[0] : p.mean[ch], s = p.std.count == 1 ? p.std[0] : p.std[ch]
                for i in (ch * n)..<((ch + 1) * n) { buf[i] = ((lo + buf[i] / 255 * span) - m) / s }
            }
        }
        return input
    }

    /// Colour planes scaled to 0…255; alpha dropped, or composited over white (for drawn digits).
    static func planes255(_ image: Image, compositeOverWhite: Bool) -> Tensor {
        var planes = image.colorPlanes
        let scale = 255 / image.maxValue
        if compositeOverWhite, let alpha = image.alphaPlane {
            let n = image.pixelCount
            for ch in 0..<planes.shape[0] {
                for i in 0..<n {
                    let a = alpha[i] / image.maxValue
                    planes.storage[ch * n + i] = planes.storage[ch * n + i] * scale * a + 255 * (1 - a)
                }
            }
        } else if scale != 1 {
            planes.storage = planes.storage.map { $0 * scale }
        }
        return planes
    }

    /// Rec. 601 luma of [3, H, W] planes, as one plane.
    static func luma(_ planes: Tensor) -> Tensor {
        let n = planes.shape[1] * planes.shape[2]
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n { out[i] = 0.299 * planes.storage[i] + 0.587 * planes.storage[n + i] + 0.114 * planes.storage[2 * n + i] }
        return Tensor(shape: [1, planes.shape[1], planes.shape[2]], storage: out)
    }

    /// MNIST's recipe (LeCun et al.): white ink on black, the ink's bounding box fitted into
    /// 20×20 (scaled to the input size) keeping its aspect ratio, then placed so that its centre
    /// of mass sits at the centre of the 28×28 field.
    static func digitFitted(_ grey: Tensor, width: Int, height: Int) -> Tensor {
        let (h, w) = (grey.shape[1], grey.shape[2])
        var v = grey.storage
        // Background: the median of the border pixels; a light one means dark ink, so invert.
        var border: [Float] = []
        for x in 0..<w { border.append(v[x]); border.append(v[(h - 1) * w + x]) }
        for y in 0..<h { border.append(v[y * w]); border.append(v[y * w + w - 1]) }
        border.sort()
        var background = border[border.count / 2]
        if background > 127.5 {
            v = v.map { 255 - $0 }
            background = 255 - background
        }
        // Ink above the background, stretched so the darkest stroke is full white.
        for i in v.indices { v[i] = max(0, v[i] - background) }
        let peak = v.max() ?? 0
        guard peak > 0 else { return Tensor(shape: [1, height, width], repeating: 0) }
        for i in v.indices { v[i] *= 255 / peak }
        // Noise level: most border pixels lie at or below it (zero for clean scans such as MNIST).
        let deviations = border.map { abs($0 - border[border.count / 2]) * 255 / peak }.sorted()
        let threshold = deviations[deviations.count * 9 / 10]
        var (x0, y0, x1, y1) = (w, h, -1, -1)
        for y in 0..<h { for x in 0..<w where v[y * w + x] > threshold {
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
        } }
        guard x1 >= x0, y1 >= y0 else { return Tensor(shape: [1, height, width], repeating: 0) }
        for i in v.indices where v[i] <= threshold { v[i] = 0 }
        let bw = x1 - x0 + 1, bh = y1 - y0 + 1
        // The 20-of-28 box, scaled for inputs of another size.
        let boxW = max(1, Int((Double(width) * 20 / 28).rounded())), boxH = max(1, Int((Double(height) * 20 / 28).rounded()))
        let scale = min(Double(boxW) / Double(bw), Double(boxH) / Double(bh))
        let nw = max(1, min(boxW, Int((Double(bw) * scale).rounded()))), nh = max(1, min(boxH, Int((Double(bh) * scale).rounded())))
        let patch = Resampling.resized(Tensor(shape: [1, h, w], storage: v), width: nw, height: nh,
                                       box: (Double(x0), Double(y0), Double(x1 + 1), Double(y1 + 1)))
        var mass = 0.0, my = 0.0, mx = 0.0
        for y in 0..<nh { for x in 0..<nw {
            let m = Double(patch.storage[y * nw + x]); mass += m; my += m * Double(y); mx += m * Double(x)
        } }
        let cy = mass > 0 ? my / mass : Double(nh - 1) / 2, cx = mass > 0 ? mx / mass : Double(nw - 1) / 2
        // MNIST's centre of mass sits at (14, 14) in pixel indices of the 28×28 field.
        let oy = min(max(Int((Double(height) / 2 - cy).rounded()), 0), height - nh)
        let ox = min(max(Int((Double(width) / 2 - cx).rounded()), 0), width - nw)
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<nh { for x in 0..<nw { out[(oy + y) * width + ox + x] = patch.storage[y * nw + x] } }
        return Tensor(shape: [1, height, width], storage: out)
    }
}
