import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `featmap layers` for one input: runs the model, writes into a folder one grid NN-LAYER.png per selected
/// layer, input.png, overview.png, with `poolViews` NN-LAYER-pool.png per pooling layer and with `npy` the
/// activations NN-LAYER.npy, and reports every layer that ran. An [N, C, H, W] input runs each sample as its
/// own pass: the statistics cover them all, the .npy files hold [N, C, H, W], the pictures and top classes
/// are those of sample `sample`.
public struct LayerRun: Sendable {
    public var model: Model
    /// The nodes whose files are written.
    public var selected: Set<Int>
    /// Where the pass stops (nil: the whole graph).
    public var last: Int?
    public var grid = FeatureGridOptions()
    public var decode = DecodeOptions()
    /// The sample the pictures and top classes show (nil: 0).
    public var sample: Int?
    public var npy = false
    /// False: no grid PNGs (the table, --npy and input.png only).
    public var images = true
    public var poolViews = false
    /// The format of the grids, pooling views and overview (input.png stays a PNG: it is the input's pixels).
    public var imageFormat: PictureFormat = .png
    /// Time each layer and the fused inference pass, each the median of `passes` passes.
    public var timing = false
    public var passes = 1

    public init(model: Model, selected: Set<Int>, last: Int? = nil) {
        self.model = model; self.selected = selected; self.last = last
    }

    /// Runs `path` and writes its files into `dir`; `note` hears what the user should know but is no error
    /// (a layer that cannot be drawn, an overview cut short), as it happens.
    public func run(_ path: String, into dir: String, note: (String) -> Void) throws -> LayerRunReport {
        let m = model
        let samples = try m.inputs(fromFile: path, decodeOptions: decode)
        let count = samples.count, drawn = sample ?? 0
        guard drawn < count else {
            throw ModelError.badInput("\(path): --sample \(drawn) is out of range: the input holds \(count) sample\(count == 1 ? "" : "s"), so give --sample 0\(count > 1 ? "…\(count - 1)" : "") or leave it out")
        }
        if count > 1 {
            try m.graph.checkBatchMemory(sample: samples.sampleShape, count: count, last: last, keeping: npy ? selected : [],
                                         kept: npy ? " and every sample's --npy arrays" : "")
        }
        let input = (tensor: samples.sample(drawn), seen: samples.picture(ofSample: drawn))
        // Several samples: each selected layer's output of every sample, for its [N, C, H, W] .npy.
        var stacks: [Int: [[Float]]] = [:]
        // A pass that could compute nothing, or would need more than --max-memory, is refused before the folder is made.
        let prepared: PreparedGraph
        do { prepared = try m.graph.checkedPreparation(for: input.tensor, last: last) } catch let e as ModelError {
            throw ModelError.badInput("\(path): \(e)")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let seen = input.seen {
            try OutputFile.write(to: (dir as NSString).appendingPathComponent("input.png")) { file in
                try ImageEncoder.encode(seen, as: .png(depth: 8), to: file, destination: "input.png")
            }
        }
        var rows: [LayerRow] = []
        var writeError: Error? = nil
        let pictures = LayerPictures(model: m, input: input.tensor, seen: input.seen, path: path, dir: dir, poolViews: poolViews,
                                     format: imageFormat)
        // --timing: the fused inference passes run first, so that with --repeat 1 the figure is a first pass.
        var inference: [Double] = []
        if timing {
            for _ in 0..<passes {
                let fused = m.graph.forwardFused(input.tensor, last: last, prepared: prepared)
                if fused.stoppedBy == nil { inference.append(fused.totalMilliseconds) }
            }
        }
        // --repeat: the extra passes run first and keep nothing; the last one writes the files.
        var layerTimes: [Int: [Double]] = [:], totals: [Double] = []
        for _ in 1..<max(passes, 1) {
            let warm = m.graph.forward(input.tensor, last: last, prepared: prepared) { layerTimes[$0.index, default: []].append($0.milliseconds) }
            totals.append(warm.totalMilliseconds)
        }
        // Grids are compressed on their own thread while the pass draws the next one (about a third of
        // the job's time is the PNG encoder's).
        let encoder = BackgroundWriter<PendingPNG> { try $0.canvas.writePNG(to: $0.path) }
        var result = m.graph.forward(input.tensor, last: last, prepared: prepared) { layer in
            var file: String? = nil
            let base = fileBase(layer.index, name: layer.name)
            if writeError == nil {
                do {
                    try pictures.observe(layer, base: base)
                    if selected.contains(layer.index) {
                        file = try write(layer, base: base, dir: dir, pictures: pictures, npyNow: count == 1, encoder: encoder,
                                         note: note)
                        if count > 1 && npy { stacks[layer.index, default: Array(repeating: [], count: count)][drawn] = LayerRun.maps(layer).storage }
                    }
                } catch {
                    writeError = error
                    throw ModelError.badInput("stopped: \(error)")
                }
            }
            let o = layer.output
            layerTimes[layer.index, default: []].append(layer.milliseconds)
            rows.append(LayerRow(index: layer.index, name: layer.name, op: layer.op, shape: layer.featureMaps?.shape ?? o.shape,
                                 parameters: layer.parameters, min: o.minimum, mean: o.mean, max: o.maximum,
                                 milliseconds: LayerRun.median(layerTimes[layer.index]!), file: file))
        }
        totals.append(result.totalMilliseconds)
        result.totalMilliseconds = LayerRun.median(totals)
        do { try encoder.finish() } catch { writeError = writeError ?? error }
        if let writeError { throw writeError }
        if images { try pictures.finish(note: note) }
        var failure: String? = nil
        if count > 1 {
            failure = try runOtherSamples(samples, drawn: drawn, rows: &rows, stacks: &stacks, path: path)
            try writeStacks(stacks, count: count, rows: rows, dir: dir)
        }
        let top = result.output.flatMap { ClassScores($0) }?.top(5) ?? []
        var report = LayerRunReport(input: path, outputDir: dir, rows: rows)
        report.top = top.map { LayerRunReport.TopClass(index: $0.0, name: m.className($0.0), probability: $0.1) }
        report.samples = count
        report.sample = drawn
        if timing {
            report.forwardMilliseconds = result.totalMilliseconds
            report.passes = passes
            report.inferenceMilliseconds = inference.isEmpty ? nil : LayerRun.median(inference)
        }
        report.failure = failure
        if let stop = result.stoppedBy {
            // A node that failed or could not run makes the run a failure, whatever was written before it;
            // the layers the user asked for that the pass never reached are named.
            report.stopped = "\(stop)"
            let reached = Set(rows.map(\.name))
            let missing = selected.map { m.graph.layerNames[$0] }.filter { !reached.contains($0) }
            report.failure = "\(path)\(count > 1 ? "[\(drawn)]" : ""): \(stop)" + (missing.isEmpty ? "" : "; layers not computed: \(missing.joined(separator: ", "))")
        }
        return report
    }

    /// The start of a layer's file names: its number in graph order, zero-padded, and its file-safe name (03-pool1).
    func fileBase(_ index: Int, name: String) -> String {
        let digits = max(2, String(model.graph.nodes.count).count)
        return String(repeating: "0", count: max(0, digits - String(index + 1).count)) + "\(index + 1)-" + OutputNaming.fileSafe(name)
    }

    /// The feature maps a layer's grid and .npy show: [C, H, W], or the output as [count, 1, 1].
    static func maps(_ layer: LayerActivation) -> Tensor {
        layer.featureMaps ?? layer.output.reshaped([layer.output.count, 1, 1])
    }

    /// Runs every sample but the drawn one, each alone: the rows' statistics become those of all the samples
    /// (shape N×…), and the selected layers' maps go into `stacks`. Returns the first sample's failure.
    func runOtherSamples(_ samples: InputSamples, drawn: Int, rows: inout [LayerRow], stacks: inout [Int: [[Float]]],
                         path: String) throws -> String? {
        let count = samples.count
        var low: [Int: Float] = [:], high: [Int: Float] = [:], meanSum: [Int: Double] = [:], seen: [Int: Int] = [:]
        for r in rows { low[r.index] = r.min; high[r.index] = r.max; meanSum[r.index] = Double(r.mean); seen[r.index] = 1 }
        var failure: String? = nil
        let keepMaps = npy
        for k in 0..<count where k != drawn {
            let result = model.graph.forward(samples.sample(k), last: last) { layer in
                let o = layer.output
                low[layer.index] = Swift.min(low[layer.index] ?? .infinity, o.minimum)
                high[layer.index] = Swift.max(high[layer.index] ?? -.infinity, o.maximum)
                meanSum[layer.index, default: 0] += Double(o.mean)
                seen[layer.index, default: 0] += 1
                if keepMaps && selected.contains(layer.index) {
                    stacks[layer.index, default: Array(repeating: [], count: count)][k] = LayerRun.maps(layer).storage
                }
            }
            if let stop = result.stoppedBy, failure == nil { failure = "\(path)[\(k)]: \(stop)" }
        }
        for i in rows.indices {
            let r = rows[i]
            rows[i].shape = [count] + (r.shape.count != 3 && r.shape.first == 1 ? Array(r.shape.dropFirst()) : r.shape)
            if seen[r.index] == count {
                rows[i].min = low[r.index]!; rows[i].max = high[r.index]!
                rows[i].mean = Float(meanSum[r.index]! / Double(count))
            }
        }
        return failure
    }

    /// Writes each selected layer's [N, C, H, W] .npy, for the layers every sample computed.
    func writeStacks(_ stacks: [Int: [[Float]]], count: Int, rows: [LayerRow], dir: String) throws {
        for (index, parts) in stacks.sorted(by: { $0.key < $1.key }) where parts.allSatisfy({ !$0.isEmpty }) {
            guard let row = rows.first(where: { $0.index == index }) else { continue }
            let shape = row.shape.count == 4 ? row.shape : [count, parts[0].count, 1, 1]
            let path = (dir as NSString).appendingPathComponent(fileBase(index, name: row.name) + ".npy")
            try OutputFile.write(to: path) { file in
                try OutputFile.put(NPY.header(shape: shape), into: file, path: path)
                for part in parts {
                    let little = part.map { $0.bitPattern.littleEndian }
                    try little.withUnsafeBytes { try OutputFile.put($0, into: file, path: path) }
                }
            }
        }
    }

    /// Writes the grid (and .npy) of one layer; returns the file name written.
    func write(_ layer: LayerActivation, base: String, dir: String, pictures: LayerPictures, npyNow: Bool,
               encoder: BackgroundWriter<PendingPNG>, note: (String) -> Void) throws -> String? {
        let maps = LayerRun.maps(layer)
        var name: String? = nil
        if images && !pictures.isMaps(layer) {
            note("note: \(layer.name)'s output \(layer.output.shape) is not laid out as [N, C, H, W] maps (a Transpose or Reshape moved H and W, as ConvNeXt's channels-last blocks do), so it is in the table\(npy ? " and the .npy" : "") but not drawn")
        } else if images {
            let title = "\(layer.name) · \(layer.op)"  // the renderer adds the shape
            let drawing = try FeatureGrid.draw(maps, title: title, options: grid).drawing
            let file = base + "." + imageFormat.fileExtension
            // A PNG grid is rendered once, for its file and for the overview.
            let canvas = imageFormat == .png ? try drawing.rendered() : nil
            pictures.add(drawing, rendered: canvas, layer: layer)
            if let canvas {
                try encoder.submit(PendingPNG(canvas: canvas, path: (dir as NSString).appendingPathComponent(file)))
            } else {
                try drawing.write(to: (dir as NSString).appendingPathComponent(file), as: imageFormat)
            }
            name = file
        }
        if npy {
            let file = base + ".npy"
            // With several samples the .npy holds them all, written once every sample has run.
            if !npyNow { return name ?? file }
            try OutputFile.write(NPY.encode(shape: maps.shape, values: maps.storage), to: (dir as NSString).appendingPathComponent(file))
            name = name ?? file
        }
        return name
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// One layer that ran: its output's statistics (over every sample of an [N, C, H, W] input) and the file
/// written for it.
public struct LayerRow: Sendable {
    public var index: Int
    public var name: String, op: String
    /// The feature maps' shape ([C, H, W]), else the output's; N×… for an input of N samples.
    public var shape: [Int]
    public var parameters: Int
    public var min: Float, mean: Float, max: Float
    /// The layer's forward time, the median over the passes.
    public var milliseconds: Double
    /// The grid (else the .npy) written for the layer, when it was selected.
    public var file: String?
}

/// A rendered grid on its way to its PNG file.
struct PendingPNG: Sendable {
    var canvas: Canvas
    var path: String
}

/// What `LayerRun.run` did for one input.
public struct LayerRunReport: Sendable {
    public struct TopClass: Sendable {
        public var index: Int, name: String, probability: Float
    }

    public var input: String
    public var outputDir: String
    public var rows: [LayerRow]
    /// The five most probable classes when the pass reached a classifier (of the drawn sample).
    public var top: [TopClass] = []
    /// The input's sample count, and the one the pictures and top classes show.
    public var samples = 1, sample = 0
    /// With timing: the pass's total, the number of passes it is the median of, and the fused pass's.
    public var forwardMilliseconds: Double?
    public var passes: Int?
    public var inferenceMilliseconds: Double?
    /// What stopped the pass before its end.
    public var stopped: String?
    /// The line that makes this input a failure (the pass stopped, or another sample's did).
    public var failure: String?
}

extension OutputNaming {
    /// A layer name as a file name: anything but letters, digits, '-', '_' and '.' becomes '_'.
    public static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}

extension Graph {
    /// The nodes `featmap layers` writes files for, in graph order, and where its pass stops: the layers
    /// named (any of their names), else every default layer up to `upto` and `upto` itself (the pass
    /// stopping there), else the default layers (`defaultLayerIndices`).
    public func layerSelection(named names: [String]?, upto: String?) throws -> (selected: [Int], last: Int?) {
        if let names {
            return (Array(Set(try names.map { try nodeIndex(named: $0.trimmingCharacters(in: .whitespaces)) })).sorted(), nil)
        }
        if let upto {
            let end = try nodeIndex(named: upto)
            return (Array(Set(defaultLayerIndices.filter { $0 <= end } + [end])).sorted(), end)
        }
        return (defaultLayerIndices, nil)
    }
}

extension Graph {
    /// The layer names that start with `prefix` (all for ""), each once, in graph order: what a shell
    /// completes after --layer, --layers and --upto.
    public func layerNames(completing prefix: String) -> [String] {
        var seen = Set<String>()
        return layerNames.filter { (prefix.isEmpty || $0.hasPrefix(prefix)) && seen.insert($0).inserted }
    }
}
