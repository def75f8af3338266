/// Composition of finished pictures: stacking with gaps and captions (a kernel's parts side by side,
/// before/after views). Each part stays a drawing, so the result is as vector as its parts.
public enum Picture {
    public enum Axis: Sendable, Equatable { case vertical, horizontal }

    /// Drawings one after another along `axis`, `gap` pixels apart, centred across the other axis.
    /// With captions (one per drawing, "" for none), each caption is written above its drawing.
    public static func stacked(_ parts: [Drawing], axis: Axis, gap: Int = 8, background: RGB = .white,
                               captions: [String]? = nil, captionColor: RGB = .black) -> Drawing {
        let font = Typeface.body
        let g = max(0, gap)
        let caption = { (i: Int) -> String in
            guard let captions, i < captions.count else { return "" }
            return captions[i]
        }
        let captionHeights = parts.indices.map { caption($0).isEmpty ? 0 : font.height(of: caption($0)) + 4 }
        let boxW = parts.indices.map { max(parts[$0].width, font.width(of: caption($0))) }
        let boxH = parts.indices.map { parts[$0].height + captionHeights[$0] }
        guard !parts.isEmpty else { return Drawing(width: 1, height: 1, background: background) }
        let totalW: Int, totalH: Int
        switch axis {
        case .vertical:
            totalW = boxW.max()!
            totalH = boxH.reduce(0, +) + g * (parts.count - 1)
        case .horizontal:
            totalW = boxW.reduce(0, +) + g * (parts.count - 1)
            totalH = boxH.max()!
        }
        var drawing = Drawing(width: totalW, height: totalH, background: background)
        var offset = 0
        for (i, part) in parts.enumerated() {
            let x = axis == .vertical ? (totalW - boxW[i]) / 2 : offset
            let y = axis == .vertical ? offset : (totalH - boxH[i]) / 2
            if captionHeights[i] > 0 {
                drawing.text(caption(i), x: x + boxW[i] / 2, y: y, color: captionColor, anchor: .middle)
            }
            drawing.place(part, x: x + (boxW[i] - part.width) / 2, y: y + captionHeights[i])
            offset += (axis == .vertical ? boxH[i] : boxW[i]) + g
        }
        return drawing
    }

    /// Images stacked as above (any `Image`: grey, alpha, 16-bit).
    public static func stacked(_ images: [Image], axis: Axis, gap: Int = 8, background: RGB = .white,
                               captions: [String]? = nil, captionColor: RGB = .black) -> Drawing {
        stacked(images.map { Drawing($0, background: background) }, axis: axis, gap: gap, background: background,
                captions: captions, captionColor: captionColor)
    }
}
