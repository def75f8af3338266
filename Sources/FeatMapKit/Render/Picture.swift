/// Composition of finished pictures: stacking with gaps and captions (overview pictures,
/// before/after pooling). Any `Image` is accepted (grey, alpha, 16-bit); the result is RGB 8-bit.
public enum Picture {
    public enum Axis: Sendable, Equatable { case vertical, horizontal }

    /// Images one after another along `axis`, `gap` pixels apart, centred across the other axis.
    /// With captions (one per image, "" for none), each caption is written above its image.
    public static func stacked(_ images: [Image], axis: Axis, gap: Int = 8, background: RGB = .white,
                               captions: [String]? = nil, captionColor: RGB = .black) -> Image {
        let font = BitmapFont.standard
        let g = max(0, gap)
        let captionHeights = images.indices.map { i -> Int in
            guard let captions, i < captions.count, !captions[i].isEmpty else { return 0 }
            return font.height(of: captions[i]) + 4
        }
        let captionWidths = images.indices.map { i -> Int in
            guard let captions, i < captions.count else { return 0 }
            return font.width(of: captions[i])
        }
        let boxW = images.indices.map { max(images[$0].width, captionWidths[$0]) }
        let boxH = images.indices.map { images[$0].height + captionHeights[$0] }
        guard !images.isEmpty else { return Canvas(width: 1, height: 1, background: background).image }
        let totalW: Int, totalH: Int
        switch axis {
        case .vertical:
            totalW = boxW.max()!
            totalH = boxH.reduce(0, +) + g * (images.count - 1)
        case .horizontal:
            totalW = boxW.reduce(0, +) + g * (images.count - 1)
            totalH = boxH.max()!
        }
        var canvas = Canvas(width: totalW, height: totalH, background: background)
        var offset = 0
        for (i, image) in images.enumerated() {
            let x = axis == .vertical ? (totalW - boxW[i]) / 2 : offset
            let y = axis == .vertical ? offset : (totalH - boxH[i]) / 2
            if captionHeights[i] > 0, let captions {
                canvas.text(captions[i], x: x + (boxW[i] - captionWidths[i]) / 2, y: y, color: captionColor)
            }
            canvas.blit(image, x: x + (boxW[i] - image.width) / 2, y: y + captionHeights[i])
            offset += (axis == .vertical ? boxH[i] : boxW[i]) + g
        }
        return canvas.image
    }

    /// One image with a caption above it, `scale` times the font's size.
    public static func captioned(_ image: Image, _ caption: String, scale: Int = 1, background: RGB = .white,
                                 color: RGB = .black) -> Image {
        let font = BitmapFont.standard
        let s = max(1, scale)
        let textH = font.height(of: caption, scale: s) + 6
        let w = max(image.width, font.width(of: caption, scale: s))
        var canvas = Canvas(width: w, height: textH + image.height, background: background)
        canvas.text(caption, x: (w - font.width(of: caption, scale: s)) / 2, y: 0, color: color, scale: s)
        canvas.blit(image, x: (w - image.width) / 2, y: textH)
        return canvas.image
    }
}
