import ArgumentParser
import FeatMapKit
import Foundation

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Write one self-contained HTML page to click through a model (or a classic kernel) on an input.",
        discussion: """
        The page works offline, opened from disk: scripts, styles and pictures are inline, nothing is fetched.
        It shows the input as the network saw it beside the original; the layers in graph order with their
        branches, operator, output shape, parameters, receptive field, jump and effective padding; every
        channel of the selected layer's maps (colours as `layers` draws them) with the value under the
        pointer. Clicking a unit draws its receptive field on the input (box, centre, the part in the
        padding hatched) and lists the matching windows on the layers between; convolutions show their
        filters and the weight-sharing comparison, pooling layers the window of the selected cell and its
        max. The top 5 classes appear when the network reaches its classifier.

        PAGE.html#layer=NAME&c=C&y=Y&x=X opens with that unit selected; its field is written in the element
        #rf-readout as "rows A..B, columns C..D" (with an ellipsis character), the numbers `featmap rf` prints. The `featmap info --json`
        summary for the same input is embedded in <script type="application/json" id="featmap-model">.

        Examples:
          featmap explore samples/lenet.weights samples/digit.png          writes digit-explore.html
          featmap explore samples/squeezenet-first.weights samples/chelsea.png --erf-units 1
          featmap explore sobel samples/chelsea.png                        a classic kernel
          featmap explore samples/lenet.weights samples/digit-*.png --out-dir pages
        """
    )

    @Argument(help: "The model (.weights, .onnx, or a safetensors state dict with --arch), or a classic kernel (name, file or inline).",
              completion: Completions.models)
    var model: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var runOptions: RunOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The page for a single input (default: STEM-explore.html).", valueName: "page.html"))
    var output: String?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for the pages of many inputs (STEM-explore.html each).", valueName: "dir"))
    var outDir: String?

    @Option(name: .customLong("erf-units"), help: ArgumentHelp("Effective receptive fields (Luo et al. 2016) for the N strongest units of each channel of each layer; each is a backward pass (default: 1 when they are cheap, as on LeNet, else none; 0: none).", valueName: "N"))
    var erfUnits: Int?

    @Option(name: .customLong("erf-layers"), help: ArgumentHelp("With --erf-units: only these layers.", valueName: "a,b"), completion: Completions.layerNames(commaSeparated: true))
    var erfLayers: String?

    @Option(name: .customLong("max-values"), help: ArgumentHelp("Embed at most this many activation values (2 bytes each); later layers' maps are left out, which the page says.", valueName: "N"))
    var maxValues: Int = 6_000_000

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if let output, !output.lowercased().hasSuffix(".html") { throw ValidationError("-o must name an .html file, got '\(output)'") }
        if let erfUnits, !(0...64).contains(erfUnits) { throw ValidationError("--erf-units must be between 0 and 64, got \(erfUnits)") }
        guard maxValues >= 0 else { throw ValidationError("--max-values must be 0 or more, got \(maxValues)") }
        if erfLayers != nil && erfUnits == 0 { throw ValidationError("--erf-layers goes with --erf-units N (not 0)") }
    }

    /// A file that exists is a model unless it is a kernel file (numbers that KernelLibrary reads); a name
    /// that is not a file is a kernel when it names or spells one, else a model path (so that a mistyped
    /// model path is reported as a missing file, a mistyped kernel name as an unknown kernel).
    var isKernel: Bool {
        let lower = model.lowercased()
        let modelExtensions = [".weights", ".onnx", ".safetensors", ".pb"]
        if modelExtensions.contains(where: { lower.hasSuffix($0) }) { return false }
        if (try? KernelLibrary.resolve(model)) != nil { return true }
        if FileManager.default.fileExists(atPath: model) { return false }
        return !model.contains("/")
    }

    func run() throws {
        var m: Model? = nil
        var kernel: ClassicFilter? = nil
        if isKernel {
            kernel = try Terminal.resolveKernel(model)
        } else {
            m = try modelOptions.loadOrExit(model)
        }
        var erfNames: Set<String>? = nil
        if let erfLayers, let m {
            do {
                erfNames = Set(try erfLayers.split(separator: ",").map { m.graph.layerNames[try m.graph.nodeIndex(named: $0.trimmingCharacters(in: .whitespaces))] })
            } catch {
                Terminal.printError("\(error)")
                throw ExitCode(64)
            }
        }
        let inputs = try inputOptions.pictureInputs(output: output, outDir: outDir)
        let naming = OutputNaming(template: "{stem}-explore.html", folder: outDir, inputs: inputs)
        let options = ExplorerOptions(erfUnits: erfUnits, erfLayers: erfNames, maximumValues: maxValues)
        let command = self, decode = inputOptions.decodeOptions, model = m, filter = kernel
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false) { i in
            let path = command.output ?? naming.name(forInputAt: i, path: inputs[i], ext: "html")
            return BatchReport.measuring(inputs[i], outputs: [path]) { report in
                let start = Date()
                let html: String
                if let model {
                    html = try ExplorerPage.build(model: model, modelPath: command.model, inputPath: inputs[i], decodeOptions: decode, options: options)
                } else {
                    html = try ExplorerPage.build(kernel: filter!, inputPath: inputs[i], decodeOptions: decode, options: options)
                }
                try OutputFile.write(Array(html.utf8), to: path)
                let size = Double(html.utf8.count) / 1_048_576
                report.text = "\(inputs[i]) → \(path) (\(String(format: "%.2f", size)) MiB, \(String(format: "%.2f", Date().timeIntervalSince(start))) s)"
            }
        }
    }
}
