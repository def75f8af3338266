/// The EXIF Orientation tag (0x0112): how the stored pixels must be turned to appear upright.
/// Raw values are the tag's 1…8; case names say the transform that makes the image upright
/// (the same correspondence as Pillow's ImageOps.exif_transpose).
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case identity = 1
    case flipHorizontal = 2
    case rotate180 = 3
    case flipVertical = 4
    case transpose = 5                 // mirror across the main diagonal
    case rotate90Clockwise = 6         // the usual portrait phone photo
    case transverse = 7                // mirror across the anti-diagonal
    case rotate90CounterClockwise = 8

    /// True when upright width and height are the stored height and width.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// Reads the Orientation tag from an EXIF payload that starts at the TIFF header
    /// ("II*\0" little-endian or "MM\0*" big-endian) and holds IFD0. Every offset is
    /// bounds-checked; anything malformed or missing gives `.identity`.
    public static func parse(tiff bytes: [UInt8]) -> ExifOrientation {
        guard bytes.count >= 8 else { return .identity }
        let little: Bool
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return .identity
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            let a = Int(bytes[at]), b = Int(bytes[at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(little ? at : at + 2), let hi = u16(little ? at + 2 : at) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return .identity }
        for i in 0..<count {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry), let type = u16(entry + 2) else { return .identity }
            guard tag == 0x0112 else { continue }
            // SHORT (3) is what the standard says; some writers use LONG (4).
            let value: Int?
            switch type {
            case 3: value = u16(entry + 8)
            case 4: value = u32(entry + 8)
            default: value = nil
            }
            return value.flatMap(ExifOrientation.init(rawValue:)) ?? .identity
        }
        return .identity
    }

    /// The upright image: for each output pixel (x′, y′) of the W′×H′ result, the stored pixel
    /// (x, y) of the W×H input it comes from.
    public func applied(to image: Image) -> Image {
        guard self != .identity else { return image }
        let w = image.width, h = image.height, c = image.channels
        let outW = swapsAxes ? h : w, outH = swapsAxes ? w : h
        var out = [Float](repeating: 0, count: image.samples.count)
        let orientation = self
        image.samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for yo in 0..<outH {
                    for xo in 0..<outW {
                        let x: Int, y: Int
                        switch orientation {
                        case .identity: (x, y) = (xo, yo)
                        case .flipHorizontal: (x, y) = (w - 1 - xo, yo)
                        case .rotate180: (x, y) = (w - 1 - xo, h - 1 - yo)
                        case .flipVertical: (x, y) = (xo, h - 1 - yo)
                        case .transpose: (x, y) = (yo, xo)
                        case .rotate90Clockwise: (x, y) = (yo, h - 1 - xo)
                        case .transverse: (x, y) = (w - 1 - yo, h - 1 - xo)
                        case .rotate90CounterClockwise: (x, y) = (w - 1 - yo, xo)
                        }
                        let s = (y * w + x) * c, d = (yo * outW + xo) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: c, bitDepth: image.bitDepth, samples: out)
    }
}
