import Foundation

/// The pictures `featmap layers` writes besides the grids: overview.EXT (the input, then every grid in graph
/// order with its shape and receptive field beside it) and, with --pool-views, NN-LAYER-pool.EXT for each
/// pooling layer (its input maps against its output, per channel); EXT is png, svg or pdf.
final class LayerPictures {
    let graph: Graph
    let dir: String
    let poolViews: Bool
    let format: PictureFormat
    var overview: Overview
    let analysis: ModelAnalysis?
    /// Values that feed a pooling node, kept until that node has run.
    let feeds: Set<String>
    var kept: [String: Tensor] = [:]
    lazy var channelsLast = graph.channelsLastValues

    init(model m: Model, input: Tensor, seen: Image?, path: String, dir: String, poolViews: Bool, format: PictureFormat) {
        graph = m.graph
        self.dir = dir
        self.poolViews = poolViews
        self.format = format
        overview = Overview(title: "\(m.name): \((path as NSString).lastPathComponent), layer by layer")
        let shape = input.planeShape
        analysis = shape.flatMap { try? m.graph.analysed(channels: $0.channels, height: $0.height, width: $0.width) }
        feeds = poolViews ? Set(m.graph.nodes.indices.filter(m.graph.isWindowPooling).compactMap { m.graph.nodes[$0].inputs.first }) : []
        if feeds.contains(m.graph.inputName), let (c, h, w) = shape { kept[m.graph.inputName] = input.reshaped([c, h, w]) }
        if let seen, let (c, h, w) = shape { overview.addInput(seen, lines: ["input", "\(c)×\(h)×\(w)"]) }
    }

    /// Sees every layer as the pass computes it; writes the pooling view of a pooling layer.
    func observe(_ layer: LayerActivation, base: String) throws {
        guard poolViews else { return }
        let node = graph.nodes[layer.index]
        if let out = node.outputs.first, feeds.contains(out) { kept[out] = layer.featureMaps }
        guard let source = node.inputs.first, let before = kept[source], let after = layer.featureMaps,
              let (_, h, w) = before.planeShape,
              let pooling = try graph.pooling(atNode: layer.index, height: h, width: w) else { return }
        let picture = try PoolingPicture.layer(input: before, output: after, pooling: pooling,
                                               title: "\(layer.name) · \(layer.op): before and after")
        try picture.write(to: (dir as NSString).appendingPathComponent(base + "-pool." + format.fileExtension), as: format)
    }

    /// Whether a layer's output can be drawn as feature maps: not when it is laid out [N, H, W, C].
    func isMaps(_ layer: LayerActivation) -> Bool {
        !channelsLast.contains(graph.nodes[layer.index].outputs.first ?? "")
    }

    /// Adds a layer's grid to the overview: its pixels when the overview is a PNG (drawn once), its drawing
    /// otherwise (so that an SVG or PDF overview stays vector).
    func add(_ grid: Drawing, rendered: Canvas?, layer: LayerActivation) {
        let shape = layer.featureMaps?.shape ?? layer.output.shape
        let lines = Overview.lines(name: layer.name, op: layer.op, shape: shape, field: analysis?.layer(atNode: layer.index)?.field)
        if let rendered { overview.add(rendered, lines: lines) } else { overview.add(grid, lines: lines) }
    }

    var overviewFile: String { "overview." + format.fileExtension }

    /// Writes the overview when at least one grid was added, and says so (`note`) when it could not hold them all.
    func finish(note: (String) -> Void) throws {
        guard overview.rows.count > 1 else { return }
        try overview.draw().drawing.write(to: (dir as NSString).appendingPathComponent(overviewFile), as: format)
        if overview.omitted > 0 {
            let shown = overview.rows.count - 1
            note("note: \(overviewFile) shows the first \(shown) of \(shown + overview.omitted) layers (it stops at \(overview.maximumHeight) pixels tall); every layer's grid has its own file, and --layers picks the ones to put side by side")
        }
    }
}
