import Foundation

/// `featmap rf`: the receptive field of chosen units of a layer drawn on the preprocessed input (a box per
/// unit, a cross at its centre, the padding hatched, with `effective` the gradient magnitude inside), the
/// layer's feature map beside it with the same units framed. Without `unit` or `top`, the unit at the
/// centre of the map.
public struct ReceptiveFieldDrawing: Sendable {
    public var model: Model
    /// The layer whose units are drawn.
    public var node: Int
    /// The unit's position in the map (of `channel`, default 0).
    public var unit: Pair?
    /// Draw the `top` units with the strongest responses (of `channel` alone when given).
    public var top: Int?
    public var channel: Int?
    /// Lay the effective receptive field over the image inside each box.
    public var effective = false
    public var decode = DecodeOptions()

    public init(model: Model, node: Int) {
        self.model = model; self.node = node
    }

    /// Draws the fields for one input into `path` (PNG) and returns one line per unit drawn: its value,
    /// the rows and columns it sees, the field's size and how many of its pixels lie in the padding.
    public func draw(input: String, to path: String) throws -> [String] {
        let m = model, index = node
        let g = m.graph, name = g.layerNames[index]
        let prepared = try m.input(fromFile: input, decodeOptions: decode)
        guard let (c, h, w) = prepared.tensor.planeShape, let seen = prepared.seen else {
            throw ModelError.badInput("\(input): the input must have 1 or 3 channels to be drawn; got shape \(prepared.tensor.shape)")
        }
        let analysis = try g.analysed(channels: c, height: h, width: w)
        guard let summary = analysis.layer(atNode: index) else {
            throw analysis.stoppedBy ?? ModelError.badInput("layer '\(name)' could not be analysed")
        }
        switch summary.field {
        case .spatial: break
        case .notAligned:
            throw ModelError.badInput("layer '\(name)' joins branches whose fields are not aligned (different strides or centres), so no one box describes its units; pick a layer inside one branch")
        case .irregular(let why):
            throw ModelError.badInput("layer '\(name)' has no one receptive-field box: \(why); pick a layer before it")
        case .notSpatial:
            throw ModelError.badInput("layer '\(name)' (\(summary.op)) has no feature maps, so its units have no place in the input; pick a convolution, activation or pooling layer")
        }
        let pass = g.forward(prepared.tensor, keep: { $0 == index }, last: index)
        guard let maps = pass.layers.first?.featureMaps, let (mc, mh, mw) = maps.planeShape else {
            throw pass.stoppedBy ?? ModelError.badInput("layer '\(name)' produced no feature maps")
        }
        if let channel, channel >= mc {
            throw ModelError.badInput("layer '\(name)' has channels 0–\(mc - 1); --channel \(channel) does not exist")
        }
        var units: [(unit: MapUnit, value: Float)]
        if let top {
            units = try MapUnit.strongest(in: maps, count: top, channel: channel)
        } else {
            let u = unit ?? Pair(mh / 2, mw / 2)
            guard (0..<mh).contains(u.y), (0..<mw).contains(u.x) else {
                throw ModelError.badInput("unit \(u.y),\(u.x) is outside layer '\(name)''s \(mh)×\(mw) map; use Y below \(mh) and X below \(mw)")
            }
            let ch = channel ?? 0
            units = [(MapUnit(channel: ch, y: u.y, x: u.x), maps.storage[(ch * mh + u.y) * mw + u.x])]
        }
        var marks: [ReceptiveFieldPicture.Mark] = []
        var fields: [ReceptiveField] = []
        for (i, (u, value)) in units.enumerated() {
            // A concatenation's channels keep the field of the branch they come from.
            guard let field = analysis.field(ofChannel: u.channel, atNode: index, in: g)?.field else {
                throw ModelError.badInput("channel \(u.channel) of layer '\(name)' has no single receptive field (branches not aligned)")
            }
            fields.append(field)
            let span = field.span(ofUnit: u.y, u.x)
            var effective: [Float]? = nil
            if self.effective {
                let grad = try g.inputGradient(of: u, atNode: index, input: prepared.tensor)
                var magnitude = [Float](repeating: 0, count: h * w)
                for ch in 0..<c { for p in 0..<(h * w) { magnitude[p] += abs(grad.storage[ch * h * w + p]) } }
                effective = magnitude
            }
            let outside = ReceptiveFieldDrawing.paddingPixels(span, height: h, width: w)
            let label = "#\(i + 1) \(name) unit \(u) = \(String(format: "%.4g", value)): rows \(span.rows.lowerBound)…\(span.rows.upperBound), "
                + "columns \(span.columns.lowerBound)…\(span.columns.upperBound), field \(field.size.y)×\(field.size.x)"
                + (outside > 0 ? ", \(outside) px in padding" : "")
            marks.append(.init(label: label, rows: span.rows, columns: span.columns, unit: u, effective: effective))
        }
        // The map beside the input: the channel of the units, or the strongest response over channels.
        let plane = mh * mw
        let oneChannel = Set(units.map(\.unit.channel)).count == 1 ? units.first?.unit.channel : nil
        let mapValues: [Float], mapCaption: String
        if let ch = oneChannel {
            mapValues = Array(maps.storage[(ch * plane)..<((ch + 1) * plane)])
            mapCaption = "\(name) channel \(ch), \(mh)×\(mw)"
        } else {
            mapValues = (0..<plane).map { p in (0..<mc).map { maps.storage[$0 * plane + p] }.max() ?? 0 }
            mapCaption = "\(name): max over \(mc) channels, \(mh)×\(mw)"
        }
        let title = "receptive field of \(name) (\(summary.op))"
        var caption = Set(fields.map(\.description)).sorted().map { "field \($0)" }.joined(separator: "; ")
        if m.graph.isConcatenation(summary.index) { caption += " (each channel: its branch's field)" }
        caption += "\nbox: what a unit sees; cross: its centre; hatched: zero padding outside the image"
        if effective { caption += "\nheat (magma): |d unit / d pixel|, the effective receptive field (Luo et al. 2016)" }
        let picture = try ReceptiveFieldPicture.draw(image: seen, marks: marks,
                                                     map: .init(values: mapValues, width: mw, height: mh, caption: mapCaption),
                                                     title: title, caption: caption)
        try picture.drawing.write(to: path)
        return marks.map(\.label)
    }

    /// Pixels of the field that lie outside an h × w image.
    public static func paddingPixels(_ span: (rows: ClosedRange<Int>, columns: ClosedRange<Int>), height h: Int, width w: Int) -> Int {
        let inside = max(0, min(h - 1, span.rows.upperBound) - max(0, span.rows.lowerBound) + 1)
            * max(0, min(w - 1, span.columns.upperBound) - max(0, span.columns.lowerBound) + 1)
        return span.rows.count * span.columns.count - inside
    }
}
