/// How a filter response becomes a pixel value.
public enum ResponseMode: String, CaseIterable, Sendable {
    /// scale·r + bias, clipped to the pixel range: right for blurs and sharpening, whose responses are
    /// already pixel values, and for magnitudes (≥ 0).
    case clamp
    /// scale·|r| + bias, clipped: a derivative's strength whatever its sign (dark→light and light→dark
    /// edges both bright), as OpenCV's convertScaleAbs when bias = 0.
    case abs
    /// scale·r + bias + mid-grey (128 on 8 bits), clipped: zero response is mid-grey, negative darker,
    /// positive lighter.
    case offset
    /// (r − min)/(max − min) over this image's responses (all channels together), stretched to the full
    /// range (times scale), plus bias: shows structure whatever the response's range.
    case normalize

    public var summary: String {
        switch self {
        case .clamp: return "scale·r + bias, clipped to the pixel range"
        case .abs: return "scale·|r| + bias, clipped: edges of both signs bright"
        case .offset: return "scale·r + bias + mid-grey: zero is grey, negative dark, positive light"
        case .normalize: return "this image's min..max stretched to the full range"
        }
    }
}
