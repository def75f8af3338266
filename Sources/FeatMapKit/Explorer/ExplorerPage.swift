import Foundation

/// What goes into a `featmap explore` page.
public struct ExplorerOptions: Sendable {
    /// Effective receptive fields for this many strongest units of each channel of each layer with maps (0: none;
    /// nil: one when the backward passes are cheap, see `erfBudget`, else none and a note on the page).
    public var erfUnits: Int?
    /// With `erfUnits` nil: the most multiply-accumulates spent on them, each unit's pass counted as the forward
    /// work up to its layer times its crop's share of the input (`Graph.inputGradients` on local layers), or one
    /// pass per group of units with disjoint fields. 400 million admits SqueezeNet's first 17 layers on a 224²
    /// input (299 million; about 2 s for the page with a release build on 2 cores, docs/benchmark.md).
    public var erfBudget: Int
    public static let automaticERFBudget = 400_000_000
    /// When given, only these layers (names as `Graph.layerNames`) get effective receptive fields.
    public var erfLayers: Set<String>?
    /// At most this many activation values are embedded; the layers after that go without maps, which the page says.
    public var maximumValues: Int
    /// Input files larger than this are not embedded as the original picture.
    public var maximumOriginalBytes: Int

    public init(erfUnits: Int? = nil, erfLayers: Set<String>? = nil, maximumValues: Int = 6_000_000,
                maximumOriginalBytes: Int = 4 << 20, erfBudget: Int = automaticERFBudget) {
        self.erfUnits = erfUnits
        self.erfBudget = erfBudget
        self.erfLayers = erfLayers
        self.maximumValues = maximumValues
        self.maximumOriginalBytes = maximumOriginalBytes
    }
}

/// One self-contained HTML page to click through a model on one input (`featmap explore`): the input as
/// the network saw it beside the original, the layers in graph order with their branches, every
/// channel's feature map with the value under the pointer, receptive fields of clicked units (the
/// integers of `featmap rf`), filters, pooling windows, effective receptive fields and the top classes.
/// Scripts, styles and pictures are inline; nothing is fetched.
public enum ExplorerPage {
    /// The page for `model` on the input file at `inputPath`; `modelPath` is how the page (and its
    /// embedded `info --json` summary) names the model.
    public static func build(model m: Model, modelPath: String, inputPath: String,
                             decodeOptions: DecodeOptions = DecodeOptions(),
                             options: ExplorerOptions = ExplorerOptions()) throws -> String {
        let (data, info) = try collect(model: m, modelPath: modelPath, inputPath: inputPath, decodeOptions: decodeOptions, options: options)
        return try ExplorerHTML.page(data: data, info: info)
    }

    /// The page's data and the `info --json` summary.
    static func collect(model m: Model, modelPath: String, inputPath: String, decodeOptions: DecodeOptions,
                        options: ExplorerOptions) throws -> (ExplorerData, String) {
        let bytes = try InputFile.read(inputPath)
        let prepared = try m.input(fromFile: inputPath, decodeOptions: decodeOptions)
        guard let (c, h, w) = prepared.tensor.planeShape else {
            throw ModelError.badInput("\(inputPath): the network input must be [C, H, W] to be explored; got shape \(prepared.tensor.shape)")
        }
        let g = m.graph
        let analysis = try g.analysed(channels: c, height: h, width: w)
        guard !analysis.layers.isEmpty else {
            throw analysis.stoppedBy ?? ModelError.badInput("\(modelPath): no layer could be analysed")
        }
        var data = ExplorerData(kind: "model", title: "\(m.name) on \((inputPath as NSString).lastPathComponent)",
                                model: modelPath, input: inputPath, original: nil, originalNote: nil, seen: nil,
                                seenNote: nil, inputShape: [c, h, w], colormaps: colormapTable(), layers: [], top: [],
                                notes: [], erfUnits: 0, kernel: nil)
        switch ImageFormat.detect(bytes) {
        case .png?, .jpeg?:
            if bytes.count <= options.maximumOriginalBytes {
                let mime = ImageFormat.detect(bytes) == .png ? "image/png" : "image/jpeg"
                data.original = "data:\(mime);base64," + ExplorerEncoding.base64(bytes)
            } else {
                data.originalNote = "the original (\(bytes.count / 1024) KiB) is not embedded; it is \(inputPath)"
            }
        default:
            data.originalNote = "\(inputPath) is a .npy tensor, not a picture"
        }
        if let seen = prepared.seen { data.seen = try ExplorerEncoding.pngURI(seen) } else {
            data.seenNote = "the input has \(c) channels; only 1 or 3 can be drawn"
        }
        if let stop = analysis.stoppedBy { data.notes.append("the analysis stopped: \(stop); later layers are not on this page") }

        let info = try analysis.json(title: modelPath)
        let last = analysis.layers.last!.index
        var collector = Collector(graph: g, analysis: analysis, options: options, input: prepared.tensor)
        let result = g.forward(prepared.tensor, last: last) { layer in try collector.observe(layer) }
        if let stop = result.stoppedBy { data.notes.append("the forward pass stopped: \(stop)") }
        data.layers = try collector.pageLayers()
        data.notes += collector.notes
        // Effective fields: as asked, or one unit per channel when the backward passes are cheap, else a note.
        // The cost counts passes as they will run: units with disjoint fields share one
        // (Graph.inputGradients), each pass about the forward work up to its layer.
        let units = options.erfUnits ?? 1
        var plan = try collector.effectiveFieldPlan(for: data.layers, units: units, input: prepared.tensor)
        if options.erfUnits == nil {
            var done = 0, doneAt: [Int: Int] = [:]
            for l in analysis.layers { done += l.multiplyAccumulates; doneAt[l.index] = max(done, 1) }
            let cost = Int(plan.reduce(0.0) { $0 + $1.passes * Double(doneAt[data.layers[$1.layer].node] ?? 1) })
            if cost > options.erfBudget {
                plan = []
                data.notes.append("effective receptive fields were not computed: one unit per channel would take backward passes worth about \(cost / 1_000_000) million multiply-accumulates; write the page with --erf-units 1, and --erf-layers a,b for a few layers")
            }
        }
        data.erfUnits = plan.isEmpty ? 0 : units
        try collector.addEffectiveFields(plan, to: &data.layers, input: prepared.tensor)
        if let output = result.output { data.top = topClasses(output, model: m) }
        return (data, info)
    }

    /// The page for a classic kernel on an input picture: the kernel as a one-filter convolution over the
    /// image in grey 0…255, its statistics, the signed response and a unit's window.
    public static func build(kernel filter: ClassicFilter, inputPath: String, decodeOptions: DecodeOptions = DecodeOptions(),
                             maximumSide: Int = 512, options: ExplorerOptions = ExplorerOptions()) throws -> String {
        let bytes = try InputFile.read(inputPath)
        let image = try ImageDecoder.decode(bytes, source: inputPath, options: decodeOptions)
        // Grey 0…255 at the image's own size (fitted inside maximumSide so that the page stays small).
        let scale = min(1, Double(maximumSide) / Double(max(image.width, image.height)))
        let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
        let pre = Preprocessing(width: w, height: h, color: .grey, fit: .stretch, range: [0, 255], mean: [0], std: [1])
        var nodes: [GraphNode] = [], weights: [String: Tensor] = [:], outputs: [String] = []
        for (k, kernel) in filter.kernels.enumerated() {
            let one = try Graph.singleConvolution(kernel: kernel, channels: 1)
            let suffix = filter.kernels.count > 1 ? "-\(k)" : ""
            // The kernels keep their names as layer names (sobel-x, sobel-y, as info --kernel calls them);
            // their weights and outputs get a suffix to stay apart.
            for var node in one.nodes {
                node.inputs = node.inputs.map { $0 == one.inputName ? "image" : $0 + suffix }
                node.outputs = node.outputs.map { $0 + suffix }
                outputs += node.outputs
                nodes.append(node)
            }
            for (key, value) in one.weights { weights[key + suffix] = value }
        }
        let graph = try Graph(nodes: nodes, weights: weights, inputName: "image", inputShape: [1, 1, -1, -1],
                              outputs: outputs, opset: 13, file: filter.name)
        let m = Model(name: "kernel \(filter.name)", graph: graph, preprocessing: pre)
        var (data, summary) = try collect(model: m, modelPath: filter.name, inputPath: inputPath, decodeOptions: decodeOptions, options: options)
        let input = try m.input(fromFile: inputPath, decodeOptions: decodeOptions).tensor
        data.kind = "kernel"
        data.kernel = ExplorerData.KernelInfo(name: filter.name, kernels: filter.kernels.map(\.values),
                                              sizes: filter.kernels.map { [$0.height, $0.width] },
                                              offsets: filter.kernels.map(\.offset),
                                              statistics: filter.kernels.map { k in
            let s = KernelStatistics(k)
            return "\(s.size): sum \(KernelStatistics.format(s.sum)), mean \(KernelStatistics.format(s.mean)), "
                + "std \(KernelStatistics.format(s.standardDeviation)), min \(KernelStatistics.format(s.minimum)), "
                + "max \(KernelStatistics.format(s.maximum))" + (s.isSeparable ? ", separable" : ", not separable")
        }, input: ExplorerLayerMaps.maps(input))
        return try ExplorerHTML.page(data: data, info: summary)
    }

    /// The 256 entries of each colormap, as base64 RGB bytes.
    static func colormapTable() -> [String: String] {
        var out: [String: String] = [:]
        for map in Colormap.all {
            var bytes: [UInt8] = []
            for i in 0..<256 { let e = map.entry(i); bytes += [e.r, e.g, e.b] }
            out[map.name] = ExplorerEncoding.base64(bytes)
        }
        return out
    }

    /// Probabilities of a classifier output (softmax unless they already are), the five largest;
    /// the rule `featmap predict` follows.
    static func topClasses(_ output: Tensor, model m: Model) -> [ExplorerData.TopClass] {
        guard output.count >= 2, output.shape.filter({ $0 > 1 }).count == 1 else { return [] }
        let v = output.storage
        let sum = v.reduce(0, +)
        let p: [Float]
        if v.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(sum - 1) < 1e-3 { p = v } else {
            let top = v.max() ?? 0
            let e = v.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            p = e.map { $0 / total }
        }
        return p.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(5).map { .init(label: m.className($0.offset), index: $0.offset, probability: $0.element) }
    }
}

/// Gathers the page's per-layer data while the forward pass runs.
struct Collector {
    let graph: Graph
    let analysis: ModelAnalysis
    let options: ExplorerOptions
    var notes: [String] = []
    /// Node index → position in the page's layer list.
    var position: [Int: Int] = [:]
    var maps: [Int: Tensor] = [:]
    var mapsNote: [Int: String] = [:]
    var winners: [Int: String] = [:]
    /// Concatenations drawn from their inputs' embedded maps.
    var parts: [Int: [Int]] = [:]
    /// Relus drawn from their input's embedded maps.
    var relus: [Int: Int] = [:]
    var embedded = 0
    /// Values feeding pooling nodes, until the pooling node has run.
    var feeds: Set<String>
    /// Per fed value, the last pooling node that reads it.
    var lastPooling: [String: Int] = [:]
    var kept: [String: Tensor] = [:]
    let channelsLast: Set<String>

    init(graph: Graph, analysis: ModelAnalysis, options: ExplorerOptions, input: Tensor) {
        self.graph = graph
        self.analysis = analysis
        self.options = options
        for (i, l) in analysis.layers.enumerated() { position[l.index] = i }
        let pools = graph.nodes.indices.filter(graph.isWindowPooling)
        feeds = Set(pools.compactMap { graph.nodes[$0].inputs.first })
        for i in pools { if let name = graph.nodes[i].inputs.first { lastPooling[name] = i } }
        channelsLast = graph.channelsLastValues
        if feeds.contains(graph.inputName), let (c, h, w) = input.planeShape { kept[graph.inputName] = input.reshaped([c, h, w]) }
    }

    mutating func observe(_ layer: LayerActivation) throws {
        let node = graph.nodes[layer.index]
        guard position[layer.index] != nil else { return }
        let out = node.outputs.first ?? ""
        if let fm = layer.featureMaps, !channelsLast.contains(out) {
            if feeds.contains(out) { kept[out] = fm }
            if let source = reluSource(layer.index, count: fm.count) {
                // max(0, v) of a layer already on the page: the page computes it.
                maps[layer.index] = fm
                relus[layer.index] = source
            } else if let parts = concatenatedParts(layer.index) {
                // A Fire module's concat holds nothing its branches' maps don't: the page joins theirs.
                maps[layer.index] = fm
                self.parts[layer.index] = parts
            } else if embedded + fm.count <= options.maximumValues {
                maps[layer.index] = fm
                embedded += fm.count
            } else {
                mapsNote[layer.index] = "maps left out: the page already holds \(embedded) values and this layer has \(fm.count) more than the limit of \(options.maximumValues); see them with featmap layers MODEL INPUT --layers \(layer.name), or raise --max-values"
            }
            // Max pooling: each output value's winning cell in its window.
            if let source = node.inputs.first, let before = kept[source], let (pc, ph, pw) = before.planeShape,
               let pooling = try graph.pooling(atNode: layer.index, height: ph, width: pw), pooling.kind == .max,
               maps[layer.index] != nil {
                var bytes: [UInt8] = []
                let plane = ph * pw
                let size = try pooling.outputSize(height: ph, width: pw)
                for ch in 0..<pc {
                    let wins = try pooling.winners(plane: before.storage[(ch * plane)..<((ch + 1) * plane)], height: ph, width: pw)
                    for (o, cell) in wins.enumerated() {
                        guard let cell else { bytes.append(255); continue }
                        let oy = o / size.x, ox = o % size.x
                        let y = cell / pw, x = cell % pw
                        let ky = (y - (oy * pooling.stride.y - pooling.padding.top)) / pooling.dilation.y
                        let kx = (x - (ox * pooling.stride.x - pooling.padding.left)) / pooling.dilation.x
                        let k = ky * pooling.kernel.x + kx
                        bytes.append(k < 255 ? UInt8(k) : 255)
                    }
                }
                winners[layer.index] = ExplorerEncoding.base64(bytes)
            }
        } else if layer.featureMaps != nil {
            mapsNote[layer.index] = "the output is laid out channels-last (\(layer.output.shape)), so it is not drawn as maps"
        }
        // Free what no later pooling needs.
        for name in node.inputs where lastPooling[name] == layer.index { kept[name] = nil }
    }

    /// For a Relu whose input is an embedded layer of the same size, that layer's page position.
    func reluSource(_ i: Int, count: Int) -> Int? {
        let node = graph.nodes[i]
        guard node.op == "Relu", let name = node.inputs.first,
              let p = graph.nodes.firstIndex(where: { $0.outputs.first == name }), let fm = maps[p], fm.count == count else { return nil }
        return position[p]
    }

    /// For a concatenation along channels whose inputs are all embedded layers, their page positions.
    func concatenatedParts(_ i: Int) -> [Int]? {
        guard graph.isConcatenation(i) else { return nil }
        let axis = graph.nodes[i].int("axis", default: 1)
        guard axis == 1 || axis == -3 else { return nil }
        var result: [Int] = []
        for name in graph.nodes[i].inputs {
            guard let p = graph.nodes.firstIndex(where: { $0.outputs.first == name }), maps[p] != nil,
                  let pos = position[p] else { return nil }
            result.append(pos)
        }
        return result.isEmpty ? nil : result
    }

    /// The producers of a node as positions in the page's list (−1 for the network input).
    func producers(of i: Int) -> [Int] {
        var result: [Int] = []
        for name in graph.nodes[i].inputs where !name.isEmpty {
            if name == graph.inputName { result.append(-1); continue }
            if let p = graph.nodes.firstIndex(where: { $0.outputs.contains(name) }), let pos = position[p] { result.append(pos) }
        }
        return result
    }

    func pageLayers() throws -> [ExplorerData.Layer] {
        var result: [ExplorerData.Layer] = []
        for s in analysis.layers {
            var l = ExplorerData.Layer(node: s.index, name: s.name, op: s.op, inputs: producers(of: s.index),
                                       outputShape: s.outputShape)
            if let fm = maps[s.index] {
                l.maps = ExplorerLayerMaps.maps(fm, encoding: parts[s.index] == nil && relus[s.index] == nil)
                l.maps?.parts = parts[s.index]
                l.maps?.reluOf = relus[s.index]
            }
            l.mapsNote = mapsNote[s.index]
            switch s.field {
            case .spatial:
                let channels = s.outputShape.count == 3 ? s.outputShape[0] : 1
                var table: [[Int]] = [], per: [Int] = []
                for ch in 0..<channels {
                    guard let f = analysis.field(ofChannel: ch, atNode: s.index, in: graph)?.field else { per.append(-1); continue }
                    let row = [f.size.y, f.size.x, f.jump.y, f.jump.x, f.padding.y, f.padding.x]
                    if let k = table.firstIndex(of: row) { per.append(k) } else { table.append(row); per.append(table.count - 1) }
                }
                l.fields = table
                if per.contains(where: { $0 != 0 }) { l.channelField = per }
            case .notAligned:
                l.fieldNote = "layer '\(s.name)' joins branches whose fields are not aligned (different strides or centres), so no one box describes its units; pick a layer inside one branch"
            case .irregular(let why):
                l.fieldNote = "layer '\(s.name)' has no one receptive-field box: \(why); pick a layer before it"
            case .notSpatial:
                l.fieldNote = "layer '\(s.name)' (\(s.op)) has no feature maps, so its units have no place in the input"
            }
            if let ws = s.weightSharing { l.weightSharing = [ws.convolution, ws.locallyConnected, ws.fullyConnected] }
            if graph.isConvolution(s.index) { l.filters = try ExplorerLayerMaps.filters(graph, node: s.index, name: s.name) }
            if s.inputShape.count == 3, let p = try graph.pooling(atNode: s.index, height: s.inputShape[1], width: s.inputShape[2]) {
                let source = producers(of: s.index).first ?? -1
                l.pooling = .init(kind: p.kind.rawValue, kernel: [p.kernel.y, p.kernel.x], stride: [p.stride.y, p.stride.x],
                                  dilation: [p.dilation.y, p.dilation.x],
                                  padding: [p.padding.top, p.padding.left, p.padding.bottom, p.padding.right],
                                  source: source, inputHeight: s.inputShape[1], inputWidth: s.inputShape[2],
                                  winners: winners[s.index])
            }
            result.append(l)
        }
        return result
    }

    /// The units whose effective receptive fields a page shows: per layer with maps (and in `erfLayers`),
    /// the `units` strongest of each channel with their fields, and how many backward passes they take.
    struct EffectiveFieldLayer {
        var layer: Int
        var picked: [(unit: MapUnit, value: Float, field: [Int])]
        var boxes: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)]
        /// The backward passes' work in whole-input passes: each unit's crop over the input's area when the
        /// layers are local (Graph.inputGradients computes units on crops), else the groups of disjoint fields.
        var passes: Double
    }

    func effectiveFieldPlan(for layers: [ExplorerData.Layer], units: Int, input: Tensor) throws -> [EffectiveFieldLayer] {
        guard units > 0 else { return [] }
        var plan: [EffectiveFieldLayer] = []
        for (k, l) in layers.enumerated() {
            guard let fm = maps[l.node], l.fields != nil, options.erfLayers.map({ $0.contains(l.name) }) ?? true else { continue }
            var picked: [(unit: MapUnit, value: Float, field: [Int])] = []
            for ch in 0..<fm.planeShape!.channels {
                let fieldIndex = l.channelField?[ch] ?? 0
                guard fieldIndex >= 0, let f = l.fields?[fieldIndex] else { continue }
                for (u, value) in try MapUnit.strongest(in: fm, count: units, channel: ch) { picked.append((u, value, f)) }
            }
            let boxes = picked.map { p -> (rows: ClosedRange<Int>, columns: ClosedRange<Int>) in
                let top = p.unit.y * p.field[2] - p.field[4], left = p.unit.x * p.field[3] - p.field[5]
                return (top...(top + p.field[0] - 1), left...(left + p.field[1] - 1))
            }
            var passes = Double(Graph.disjointGroups(picked.count, fields: boxes).count)
            if graph.isLocal(through: l.node), let (_, h, w) = input.planeShape {
                passes = boxes.reduce(0) { sum, b in
                    let rows = min(h, b.rows.upperBound + 1) - max(0, b.rows.lowerBound)
                    let columns = min(w, b.columns.upperBound + 1) - max(0, b.columns.lowerBound)
                    return sum + Double(max(0, rows) * max(0, columns)) / Double(h * w)
                }
            }
            plan.append(.init(layer: k, picked: picked, boxes: boxes, passes: passes))
        }
        return plan
    }

    /// The effective receptive fields (Luo et al. 2016) of the planned units, |∂unit/∂pixel| summed over
    /// the input channels inside each unit's field (clipped to the image), scaled to bytes.
    func addEffectiveFields(_ plan: [EffectiveFieldLayer], to layers: inout [ExplorerData.Layer], input: Tensor) throws {
        guard let (c, h, w) = input.planeShape else { return }
        for entry in plan {
            // One jump for the layer (fields of a channel concatenation may differ in size, not in jump).
            let jumps = Set(entry.picked.map { [$0.field[2], $0.field[3]] })
            let jump = jumps.count == 1 ? jumps.first.map { Pair($0[0], $0[1]) } : nil
            let gradients = try graph.inputGradients(of: entry.picked.map(\.unit), atNode: layers[entry.layer].node, input: input,
                                                     fields: entry.boxes, jump: jump)
            var list: [ExplorerData.ERF] = []
            for (i, (u, value, _)) in entry.picked.enumerated() {
                let grad = gradients[i], box = entry.boxes[i]
                let r0 = max(0, box.rows.lowerBound), r1 = min(h - 1, box.rows.upperBound)
                let c0 = max(0, box.columns.lowerBound), c1 = min(w - 1, box.columns.upperBound)
                guard r0 <= r1, c0 <= c1 else { continue }
                var magnitude = [Float](repeating: 0, count: (r1 - r0 + 1) * (c1 - c0 + 1))
                for y in r0...r1 { for x in c0...c1 {
                    var s: Float = 0
                    for p in 0..<c { s += abs(grad.storage[(p * h + y) * w + x]) }
                    magnitude[(y - r0) * (c1 - c0 + 1) + (x - c0)] = s
                } }
                let peak = magnitude.max() ?? 0
                let bytes = magnitude.map { peak > 0 ? UInt8((min(1, $0 / peak) * 255).rounded()) : 0 }
                list.append(.init(unit: [u.channel, u.y, u.x], value: value, box: [r0, c0, r1 - r0 + 1, c1 - c0 + 1],
                                  data: ExplorerEncoding.base64(bytes), maximum: peak))
            }
            layers[entry.layer].erf = list
        }
    }
}

enum ExplorerLayerMaps {
    /// `layers`' colour rule (each map its own range, a constant map on the layer's; rdbu centred on zero
    /// when the layer holds both signs, else viridis) and the 16-bit values.
    static func maps(_ fm: Tensor, encoding: Bool = true) -> ExplorerData.Maps {
        let (c, h, w) = fm.planeShape!
        let q = ExplorerEncoding.quantised(fm, encoding: encoding)
        var extents: [ValueRange?] = []
        let plane = h * w
        fm.storage.withUnsafeBufferPointer { all in
            for ch in 0..<c { extents.append(ValueRange.finiteExtent(of: UnsafeBufferPointer(rebasing: all[(ch * plane)..<((ch + 1) * plane)]))) }
        }
        let found = extents.compactMap { $0 }
        let layer = found.isEmpty ? ValueRange(low: 0, high: 0)
            : ValueRange(low: found.map(\.low).min()!, high: found.map(\.high).max()!)
        let colormap: Colormap = layer.isSigned ? .diverging : .viridis
        var ranges = extents.map { e in e.flatMap { $0.high > $0.low ? $0 : nil } ?? layer }
        if colormap.isDiverging { ranges = ranges.map(\.symmetric) }
        let side = max(h, w)
        let scale = max(1, min(32, (48 + side - 1) / side))
        let caption = "colours: " + (colormap.isDiverging ? "per-map ±max|v|, 0 at centre" : "per-map min..max")
            + " (\(colormap.name)); layer: \(NumberText.short(layer.low)) .. \(NumberText.short(layer.high))"
        return .init(channels: c, height: h, width: w, data: q.data, lo: q.lo, hi: q.hi, colormap: colormap.name,
                     ranges: ranges.map { [$0.low, $0.high] }, caption: caption, scale: scale)
    }

    /// The learned filters as `featmap filters` draws them, with where each one is and its weights.
    static func filters(_ g: Graph, node i: Int, name: String) throws -> ExplorerData.Filters? {
        let node = g.nodes[i]
        guard node.inputs.count > 1, let weights = g.weights[node.inputs[1]], weights.rank == 4 else { return nil }
        let (drawing, layout) = try FilterGrid.draw(weights: weights, title: name)
        let image = try drawing.image()
        let cells = layout.cells.map { row in row.map { [$0.x, $0.y, $0.width, $0.height] } }
        let embed = weights.count <= 262_144
        return .init(image: try ExplorerEncoding.pngURI(image), width: image.width, height: image.height, cells: cells,
                     shape: weights.shape, weights: embed ? ExplorerEncoding.floats(weights.storage) : nil,
                     note: embed ? nil : "\(weights.count) weights: too many to embed for hovering")
    }
}
