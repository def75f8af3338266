import Foundation

/// The pictures `featmap layers` writes besides the grids: overview.png (the input, then every grid in graph
/// order with its shape and receptive field beside it) and, with --pool-views, NN-LAYER-pool.png for each
/// pooling layer (its input maps against its output, per channel).
final class LayerPictures {
    let graph: Graph
    let dir: String
    let poolViews: Bool
    var overview: Overview
    let analysis: ModelAnalysis?
    /// Values that feed a pooling node, kept until that node has run.
    let feeds: Set<String>
    var kept: [String: Tensor] = [:]
    lazy var channelsLast = graph.channelsLastValues

    init(model m: Model, input: Tensor, seen: Image?, path: String, dir: String, poolViews: Bool) {
        graph = m.graph
        self.dir = dir
        self.poolViews = poolViews
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
        let image = try PoolingPicture.layer(input: before, output: after, pooling: pooling,
                                             title: "\(layer.name) · \(layer.op): before and after")
        try ImageEncoder.write(image, as: .png(depth: 8), to: (dir as NSString).appendingPathComponent(base + "-pool.png"))
    }

    /// Whether a layer's output can be drawn as feature maps: not when it is laid out [N, H, W, C].
    func isMaps(_ layer: LayerActivation) -> Bool {
        !channelsLast.contains(graph.nodes[layer.index].outputs.first ?? "")
    }

    /// Adds a layer's grid to the overview.
    func add(_ grid: Image, layer: LayerActivation) {
        let shape = layer.featureMaps?.shape ?? layer.output.shape
        overview.add(grid, lines: Overview.lines(name: layer.name, op: layer.op, shape: shape,
                                                 field: analysis?.layer(atNode: layer.index)?.field))
    }

    /// Writes overview.png when at least one grid was added, and says so (`note`) when it could not hold them all.
    func finish(note: (String) -> Void) throws {
        guard overview.rows.count > 1 else { return }
        try ImageEncoder.write(try overview.draw().drawing.image(), as: .png(depth: 8), to: (dir as NSString).appendingPathComponent("overview.png"))
        if overview.omitted > 0 {
            let shown = overview.rows.count - 1
            note("note: overview.png shows the first \(shown) of \(shown + overview.omitted) layers (it stops at \(overview.maximumHeight) pixels tall); every layer's grid has its own file, and --layers picks the ones to put side by side")
        }
    }
}
