import ArgumentParser
import FeatMapKit
import Foundation

struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "Run a CNN on an input and show what each layer computes: grids, a table, the top classes.",
        discussion: """
        Writes into DIR (default INPUTNAME-layers/) one feature-map grid NN-LAYER.png per selected layer in graph order (default: every convolution, activation, pooling and concatenation before the first Flatten/Reshape/Gemm), input.png (what the network saw), overview.png (the input, then every grid in order with its shape and receptive field), with --pool-views NN-LAYER-pool.png per pooling layer (its input maps against its output), and with --npy the raw activations NN-LAYER.npy (float32 [C, H, W]). An [N, C, H, W] .npy input runs each of its N samples as its own pass: the .npy files hold [N, C, H, W], the table's statistics cover every sample, and the pictures and top classes are those of sample 0 (--sample K draws another). Prints a table of every layer that ran — name, operator, output shape, parameters, min/mean/max — and the top 5 classes when the network reaches its classifier. An unsupported operator stops the pass there; the layers before it are still written.

        Layer names: the node's name, else its output's name, else operator + index (conv1, relu1, pool1, …); --layers and --upto accept any of these.

        Examples:
          featmap layers samples/lenet.weights samples/digit.png
          featmap layers samples/squeezenet-first.weights cat.png --norm layer
          featmap layers model.onnx cat.jpg --upto pool1 --npy --json -o out/
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var runOptions: RunOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (one sub-folder STEM-layers per input when there are several).", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("Comma-separated layers to draw.", valueName: "a,b"), completion: Completions.layerNames(commaSeparated: true))
    var layers: String?

    @Option(help: ArgumentHelp("Draw every feature-map layer up to this one and stop the pass there.", valueName: "layer"), completion: Completions.layerNames())
    var upto: String?

    @Flag(help: "Also write each selected layer's activations as NN-LAYER.npy (float32 [C, H, W]; [N, C, H, W] for an input of N samples).")
    var npy = false

    @Option(help: ArgumentHelp("Which sample of an [N, C, H, W] .npy input the pictures and top classes show (0-based; default 0). Every sample runs.", valueName: "K"))
    var sample: Int?

    var json: Bool { runOptions.json }

    @Flag(help: "Time each layer's forward computation and print the total; also time the pass as an inference engine runs it, keeping no layer (each Conv with its activation in one pass, Concat branches written in place).")
    var timing = false

    @Option(name: .customLong("repeat"), help: ArgumentHelp("With --timing, run the forward pass N times and report each layer's median time (the first pass also pays for fresh memory pages; later ones reuse them).", valueName: "N"))
    var passes: Int = 1

    @Flag(help: "Write no grid PNGs (table, JSON, --npy and input.png only).")
    var noImages = false

    @Flag(help: "Also write NN-LAYER-pool.png for each pooling layer: its input maps against its output, per channel.")
    var poolViews = false

    @Option(help: ArgumentHelp("What grid colours mean: map (each map its own range), layer (one range per layer) or fixed:LO,HI.", valueName: "mode"), completion: Completions.norms)
    var norm: String = "map"

    @Option(help: ArgumentHelp("Grid colormap: grey, viridis, magma, rdbu, coolwarm (default: rdbu for signed layers, else viridis).", valueName: "name"), completion: Completions.colormaps)
    var colormap: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if layers != nil && upto != nil { throw ValidationError("give either --layers or --upto, not both") }
        if passes < 1 || passes > 1000 { throw ValidationError("--repeat must be between 1 and 1000 (got \(passes))") }
        if passes > 1 && !timing { throw ValidationError("--repeat only makes sense with --timing") }
        if let sample, sample < 0 { throw ValidationError("--sample counts from 0, got \(sample)") }
        do { _ = try GridNormalization(parsing: norm) } catch { throw ValidationError("\(error)") }
        if let colormap { do { _ = try Colormap.named(colormap) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        let m: Model
        do { m = try modelOptions.load(model) } catch let usage as ValidationError {
            throw usage
        } catch {
            ModelOptions.printError("\(error)")
            throw ExitCode.failure
        }
        // Which nodes get files, and where the pass stops.
        var selected: [Int]
        var last: Int? = nil
        do {
            if let layers {
                selected = try layers.split(separator: ",").map { try m.graph.nodeIndex(named: $0.trimmingCharacters(in: .whitespaces)) }
                selected = Array(Set(selected)).sorted()
            } else if let upto {
                let end = try m.graph.nodeIndex(named: upto)
                last = end
                selected = Array(Set(m.graph.defaultLayerIndices.filter { $0 <= end } + [end])).sorted()
            } else {
                selected = m.graph.defaultLayerIndices
            }
        } catch {
            ModelOptions.printError("\(error)")
            throw ExitCode(64)
        }
        var options = FeatureGridOptions()
        options.normalization = (try? GridNormalization(parsing: norm)) ?? .map
        if let colormap { options.colormap = try? Colormap.named(colormap) }
        let inputs: [String]
        do { inputs = try inputOptions.inputList() } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        // One input: DIR (default STEM-layers); several: DIR/STEM-layers, names never colliding.
        let naming = OutputNaming(template: "{stem}-layers", folder: inputs.count > 1 ? output : nil, inputs: inputs)
        let dirs = inputs.indices.map { i in inputs.count == 1 && output != nil ? output! : naming.name(forInputAt: i, path: inputs[i], ext: "") }
        let selectedSet = Set(selected), command = self, decode = inputOptions.decodeOptions
        let stopAt = last, gridOptions = options
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false) { i in
            BatchReport.measuring(inputs[i], outputs: [dirs[i]]) { report in
                let (text, json, failure) = try command.runOne(inputs[i], model: m, selected: selectedSet, last: stopAt, dir: dirs[i],
                                                               grid: gridOptions, decode: decode, several: inputs.count > 1)
                report.text = text
                report.json = json
                report.error = failure
            }
        }
    }

    struct Row {
        var index: Int
        var name: String, op: String, shape: [Int], params: Int, min: Float, mean: Float, max: Float, ms: Double, file: String?
    }

    /// Runs one input through the model, writes its files, and returns the table and the JSON object.
    func runOne(_ path: String, model m: Model, selected: Set<Int>, last: Int?, dir: String, grid: FeatureGridOptions,
                decode: DecodeOptions, several: Bool) throws -> (text: String, json: String, failure: String?) {
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
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let seen = input.seen {
            try OutputFile.write(to: (dir as NSString).appendingPathComponent("input.png")) { file in
                try ImageEncoder.encode(seen, as: .png(depth: 8), to: file, destination: "input.png")
            }
        }
        let digits = max(2, String(m.graph.nodes.count).count)
        var rows: [Row] = []
        var writeError: Error? = nil
        let pictures = LayerPictures(model: m, input: input.tensor, seen: input.seen, path: path, dir: dir, poolViews: poolViews)
        // --timing: the fused inference passes run first, so that with --repeat 1 the figure is a first pass.
        var inference: [Double] = []
        if timing {
            for _ in 0..<passes {
                let fused = m.graph.forwardFused(input.tensor, last: last)
                if fused.stoppedBy == nil { inference.append(fused.totalMilliseconds) }
            }
        }
        // --repeat: the extra passes run first and keep nothing; the last one writes the files.
        var layerTimes: [Int: [Double]] = [:], totals: [Double] = []
        for _ in 1..<max(passes, 1) {
            let warm = m.graph.forward(input.tensor, last: last) { layerTimes[$0.index, default: []].append($0.milliseconds) }
            totals.append(warm.totalMilliseconds)
        }
        var result = m.graph.forward(input.tensor, last: last) { layer in
            var file: String? = nil
            let base = String(repeating: "0", count: max(0, digits - String(layer.index + 1).count)) + "\(layer.index + 1)-"
                + LayersCommand.fileSafe(layer.name)
            if writeError == nil {
                do {
                    try pictures.observe(layer, base: base)
                    if selected.contains(layer.index) {
                        file = try write(layer, base: base, dir: dir, grid: grid, pictures: pictures, npyNow: count == 1)
                        if count > 1 && npy { stacks[layer.index, default: Array(repeating: [], count: count)][drawn] = LayersCommand.maps(layer).storage }
                    }
                } catch {
                    writeError = error
                    throw ModelError.badInput("stopped: \(error)")
                }
            }
            let o = layer.output
            layerTimes[layer.index, default: []].append(layer.milliseconds)
            rows.append(Row(index: layer.index, name: layer.name, op: layer.op, shape: layer.featureMaps?.shape ?? o.shape, params: layer.parameters,
                            min: o.minimum, mean: o.mean, max: o.maximum, ms: LayersCommand.median(layerTimes[layer.index]!),
                            file: file))
        }
        totals.append(result.totalMilliseconds)
        result.totalMilliseconds = LayersCommand.median(totals)
        if let writeError { throw writeError }
        if !noImages { try pictures.finish() }
        var failure: String? = nil
        if count > 1 {
            failure = try runOtherSamples(samples, drawn: drawn, model: m, selected: selected, last: last, rows: &rows, stacks: &stacks, path: path)
            try writeStacks(stacks, count: count, rows: rows, model: m, dir: dir)
        }
        let top = result.output.flatMap { ClassScores($0) }?.top(5) ?? []
        let inferenceMs = inference.isEmpty ? nil : LayersCommand.median(inference)
        var text = table(path: path, rows: rows, top: top, model: m, result: result, inference: inferenceMs, dir: dir, several: several)
        var json = jsonObject(path: path, rows: rows, top: top, model: m, result: result, inference: inferenceMs, dir: dir)
        if count > 1 {
            text = text.replacingOccurrences(of: "\ntop \(top.count):", with: "\ntop \(top.count) of sample \(drawn):")
            text = "\(count) samples, each run alone: statistics over all of them, pictures\(top.isEmpty ? "" : " and top classes") of sample \(drawn)\n" + text
            json = "{\"samples\":\(count),\"sample\":\(drawn)," + json.dropFirst()
        }
        if let stop = result.stoppedBy {
            // A node that failed or could not run makes the run a failure, whatever was written before it;
            // the layers the user asked for that the pass never reached are named.
            let reached = Set(rows.map(\.name))
            let missing = selected.map { m.graph.layerNames[$0] }.filter { !reached.contains($0) }
            return (text, json, "\(path)\(count > 1 ? "[\(drawn)]" : ""): \(stop)" + (missing.isEmpty ? "" : "; layers not computed: \(missing.joined(separator: ", "))"))
        }
        return (text, json, failure)
    }

    /// The feature maps a layer's grid and .npy show: [C, H, W], or the output as [count, 1, 1].
    static func maps(_ layer: LayerActivation) -> Tensor {
        layer.featureMaps ?? layer.output.reshaped([layer.output.count, 1, 1])
    }

    /// Runs every sample but the drawn one, each alone: the rows' statistics become those of all the samples
    /// (shape N×…), and the selected layers' maps go into `stacks`. Returns the first sample's failure.
    func runOtherSamples(_ samples: InputSamples, drawn: Int, model m: Model, selected: Set<Int>, last: Int?, rows: inout [Row],
                         stacks: inout [Int: [[Float]]], path: String) throws -> String? {
        let count = samples.count
        var low: [Int: Float] = [:], high: [Int: Float] = [:], meanSum: [Int: Double] = [:], seen: [Int: Int] = [:]
        for r in rows { low[r.index] = r.min; high[r.index] = r.max; meanSum[r.index] = Double(r.mean); seen[r.index] = 1 }
        var failure: String? = nil
        let keepMaps = npy
        for k in 0..<count where k != drawn {
            let result = m.graph.forward(samples.sample(k), last: last) { layer in
                let o = layer.output
                low[layer.index] = Swift.min(low[layer.index] ?? .infinity, o.minimum)
                high[layer.index] = Swift.max(high[layer.index] ?? -.infinity, o.maximum)
                meanSum[layer.index, default: 0] += Double(o.mean)
                seen[layer.index, default: 0] += 1
                if keepMaps && selected.contains(layer.index) {
                    stacks[layer.index, default: Array(repeating: [], count: count)][k] = LayersCommand.maps(layer).storage
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
    func writeStacks(_ stacks: [Int: [[Float]]], count: Int, rows: [Row], model m: Model, dir: String) throws {
        let digits = max(2, String(m.graph.nodes.count).count)
        for (index, parts) in stacks.sorted(by: { $0.key < $1.key }) where parts.allSatisfy({ !$0.isEmpty }) {
            guard let row = rows.first(where: { $0.index == index }) else { continue }
            let base = String(repeating: "0", count: max(0, digits - String(index + 1).count)) + "\(index + 1)-" + LayersCommand.fileSafe(row.name)
            let shape = row.shape.count == 4 ? row.shape : [count, parts[0].count, 1, 1]
            let path = (dir as NSString).appendingPathComponent(base + ".npy")
            try OutputFile.write(to: path) { file in
                let header = NPY.header(shape: shape)
                guard fwrite(header, 1, header.count, file) == header.count else {
                    throw ModelError.unreadable(file: path, reason: "could not be written (disk full?)")
                }
                for part in parts {
                    let little = part.map { $0.bitPattern.littleEndian }
                    let written = little.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                    guard written == little.count * 4 else { throw ModelError.unreadable(file: path, reason: "could not be written (disk full?)") }
                }
            }
        }
    }

    /// Writes the grid (and .npy) of one layer; returns the file name written.
    func write(_ layer: LayerActivation, base: String, dir: String, grid: FeatureGridOptions, pictures: LayerPictures,
               npyNow: Bool) throws -> String? {
        let maps = LayersCommand.maps(layer)
        var name: String? = nil
        if !noImages && !pictures.isMaps(layer) {
            Terminal.printError("note: \(layer.name)'s output \(layer.output.shape) is not laid out as [N, C, H, W] maps (a Transpose or Reshape moved H and W, as ConvNeXt's channels-last blocks do), so it is in the table\(npy ? " and the .npy" : "") but not drawn")
        } else if !noImages {
            let title = "\(layer.name) · \(layer.op)"  // the renderer adds the shape
            let image = try FeatureGrid.render(maps, title: title, options: grid)
            pictures.add(image, layer: layer)
            let file = base + ".png"
            try OutputFile.write(to: (dir as NSString).appendingPathComponent(file)) { f in
                try ImageEncoder.encode(image, as: .png(depth: 8), to: f, destination: file)
            }
            name = file
        }
        if npy {
            let file = base + ".npy"
            // With several samples the .npy holds them all, written once every sample has run.
            if !npyNow { return name ?? file }
            try ModelOptions.write(NPY.encode(shape: maps.shape, values: maps.storage), to: (dir as NSString).appendingPathComponent(file))
            name = name ?? file
        }
        return name
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    func table(path: String, rows: [Row], top: [(Int, Float)], model m: Model, result: ForwardResult, inference: Double?,
               dir: String, several: Bool) -> String {
        var lines: [String] = []
        if several { lines.append("== \(path) → \(dir)/") }
        let header = ["layer", "op", "output", "params", "min", "mean", "max"] + (timing ? ["ms"] : []) + ["file"]
        var table = [header]
        for r in rows {
            table.append([r.name, r.op, r.shape.map(String.init).joined(separator: "×"), String(r.params),
                          String(format: "%.4g", r.min), String(format: "%.4g", r.mean), String(format: "%.4g", r.max)]
                         + (timing ? [String(format: "%.2f", r.ms)] : []) + [r.file ?? ""])
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max() ?? 0 }
        let numeric: Set<Int> = [3, 4, 5, 6, 7]
        for row in table {
            lines.append(row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) && c < header.count - 1 ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if timing {
            lines.append(String(format: "forward total: %.2f ms", result.totalMilliseconds)
                         + (passes > 1 ? " (median of \(passes) passes)" : ""))
            if let inference {
                lines.append(String(format: "inference: %.2f ms", inference)
                             + " (no layer kept: each Conv with its activation, Concat branches written in place"
                             + (passes > 1 ? "; median of \(passes) passes)" : ")"))
            }
        }
        if !top.isEmpty {
            lines.append("top \(top.count):")
            for (i, p) in top { lines.append(String(format: "  %6.2f%%  %@", p * 100, "\(m.className(i))\(m.classes == nil ? "" : " (\(i))")")) }
        }
        return lines.joined(separator: "\n")
    }

    func jsonObject(path: String, rows: [Row], top: [(Int, Float)], model m: Model, result: ForwardResult, inference: Double?,
                    dir: String) -> String {
        func num(_ v: Float) -> String { v.isFinite ? String(format: "%.6g", v) : "null" }
        let layers = rows.map { r in
            "{\"name\":\(PredictCommand.jsonString(r.name)),\"op\":\(PredictCommand.jsonString(r.op)),"
                + "\"output_shape\":[\(r.shape.map(String.init).joined(separator: ","))],\"params\":\(r.params),"
                + "\"min\":\(num(r.min)),\"mean\":\(num(r.mean)),\"max\":\(num(r.max))"
                + (timing ? ",\"ms\":\(String(format: "%.3f", r.ms))" : "")
                + (r.file.map { ",\"file\":\(PredictCommand.jsonString($0))" } ?? "") + "}"
        }
        var fields = ["\"input\":\(PredictCommand.jsonString(path))", "\"output_dir\":\(PredictCommand.jsonString(dir))",
                      "\"layers\":[\(layers.joined(separator: ","))]"]
        if !top.isEmpty {
            fields.append("\"top\":[" + top.map { i, p in
                "{\"class\":\(PredictCommand.jsonString(m.className(i))),\"index\":\(i),\"probability\":\(String(format: "%.6f", p))}"
            }.joined(separator: ",") + "]")
        }
        if timing {
            fields.append("\"forward_ms\":\(String(format: "%.3f", result.totalMilliseconds))")
            fields.append("\"forward_passes\":\(passes)")
            if let inference { fields.append("\"inference_ms\":\(String(format: "%.3f", inference))") }
        }
        if let stop = result.stoppedBy { fields.append("\"stopped\":\(PredictCommand.jsonString("\(stop)"))") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
