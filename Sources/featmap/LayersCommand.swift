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

    @Option(help: ArgumentHelp("Format of the grids, pooling views and overview: png, svg or pdf (input.png stays a PNG).", valueName: "format"))
    var imageFormat: PictureFormat = .png

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
        m = try modelOptions.loadOrExit(model)
        // Which nodes get files, and where the pass stops.
        let selected: [Int], last: Int?
        do {
            (selected, last) = try m.graph.layerSelection(named: layers.map { $0.split(separator: ",").map(String.init) }, upto: upto)
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
        var job = LayerRun(model: m, selected: Set(selected), last: last)
        job.grid = options
        job.decode = inputOptions.decodeOptions
        job.sample = sample
        job.npy = npy
        job.images = !noImages
        job.poolViews = poolViews
        job.imageFormat = imageFormat
        job.timing = timing
        job.passes = passes
        let command = self, run = job
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false) { i in
            BatchReport.measuring(inputs[i], outputs: [dirs[i]]) { report in
                let result = try run.run(inputs[i], into: dirs[i]) { Terminal.printError($0) }
                report.text = command.table(result, model: m, several: inputs.count > 1)
                report.json = try result.json()
                report.error = result.failure
            }
        }
    }

    /// The table of one input's layers, the timing and the top classes.
    func table(_ r: LayerRunReport, model m: Model, several: Bool) -> String {
        var lines: [String] = []
        if r.samples > 1 {
            lines.append("\(r.samples) samples, each run alone: statistics over all of them, pictures\(r.top.isEmpty ? "" : " and top classes") of sample \(r.sample)")
        }
        if several { lines.append("== \(r.input) → \(r.outputDir)/") }
        let header = ["layer", "op", "output", "params", "min", "mean", "max"] + (timing ? ["ms"] : []) + ["file"]
        var table = [header]
        for r in r.rows {
            table.append([r.name, r.op, r.shape.map(String.init).joined(separator: "×"), String(r.parameters),
                          String(format: "%.4g", r.min), String(format: "%.4g", r.mean), String(format: "%.4g", r.max)]
                         + (timing ? [String(format: "%.2f", r.milliseconds)] : []) + [r.file ?? ""])
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max() ?? 0 }
        let numeric: Set<Int> = [3, 4, 5, 6, 7]
        for row in table {
            lines.append(row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) && c < header.count - 1 ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if timing, let forward = r.forwardMilliseconds {
            lines.append(String(format: "forward total: %.2f ms", forward)
                         + (passes > 1 ? " (median of \(passes) passes)" : ""))
            if let inference = r.inferenceMilliseconds {
                lines.append(String(format: "inference: %.2f ms", inference)
                             + " (no layer kept: each Conv with its activation, Concat branches written in place"
                             + (passes > 1 ? "; median of \(passes) passes)" : ")"))
            }
        }
        if !r.top.isEmpty {
            lines.append("top \(r.top.count)\(r.samples > 1 ? " of sample \(r.sample)" : ""):")
            for t in r.top { lines.append(String(format: "  %6.2f%%  %@", t.probability * 100, "\(t.name)\(m.classes == nil ? "" : " (\(t.index))")")) }
        }
        return lines.joined(separator: "\n")
    }
}
