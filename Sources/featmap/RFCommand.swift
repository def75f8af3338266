import ArgumentParser
import FeatMapKit
import Foundation

struct RFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rf",
        abstract: "Draw on the input the receptive field of chosen units of a layer.",
        discussion: """
        The field of a unit is the square of input pixels it can see (Araujo, Norris and Sim, Distill
        2019): each box is drawn on the preprocessed input with a cross at its centre; where it reaches
        past the image (the zero padding) it is hatched. Beside the input, the layer's feature map with
        the same units framed. Without --unit or --top the unit at the centre of the map is drawn.

        --effective lays the effective receptive field (Luo et al. 2016) over the image inside each box:
        the magnitude of the gradient of the unit with respect to each input pixel (summed over input
        channels), brightest where the unit is most sensitive — usually the centre, not the whole box.

        Examples:
          featmap rf samples/lenet.weights samples/digit.png --layer pool2 --unit 2,2 --effective
          featmap rf samples/squeezenet-first.weights samples/chelsea.png --layer fire2/concat_1 --top 4 --channel 7
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: ArgumentHelp("The layer whose units are drawn.", valueName: "name"), completion: Completions.layerNames())
    var layer: String

    @Option(help: ArgumentHelp("The unit's position Y,X in the layer's feature map.", valueName: "y,x"))
    var unit: Pair?

    @Option(help: ArgumentHelp("Draw the K units with the strongest responses.", valueName: "K"))
    var top: Int?

    @Option(help: "The channel of --unit (default 0), or the only channel --top looks at (default: all).")
    var channel: Int?

    @Flag(help: "Lay the effective receptive field (gradient magnitude) over the image inside each box.")
    var effective = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Output picture for a single input, .png, .svg or .pdf (default: STEM-rf-LAYER.png).", valueName: "out.png"))
    var output: String?

    @Option(help: ArgumentHelp("Picture format of the default names and of --out-dir: png, svg or pdf (-o takes the format from its extension).", valueName: "format"))
    var imageFormat: PictureFormat = .png


    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for the pictures of many inputs.", valueName: "dir"))
    var outDir: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if unit != nil && top != nil { throw ValidationError("give either --unit Y,X or --top K, not both") }
        if let top, !(1...RFCommand.maximumUnits).contains(top) { throw ValidationError("--top must be between 1 and \(RFCommand.maximumUnits), got \(top)") }
        if let channel, channel < 0 { throw ValidationError("--channel must be 0 or more, got \(channel)") }
        if let output, PictureFormat(path: output) == nil { throw ValidationError("-o must name a .png, .svg or .pdf file, got '\(output)'") }
    }

    static let maximumUnits = 8

    func run() throws {
        let m: Model
        let index: Int
        m = try modelOptions.loadOrExit(model)
        do { index = try m.graph.nodeIndex(named: layer) } catch {
            Terminal.printError("\(error)")
            throw ExitCode(64)
        }
        let inputs = try inputOptions.pictureInputs(output: output, outDir: outDir)
        let naming = OutputNaming(template: "{stem}-rf-{layer}.\(imageFormat.fileExtension)", folder: outDir, inputs: inputs)
        var drawing = ReceptiveFieldDrawing(model: m, node: index)
        drawing.unit = unit
        drawing.top = top
        drawing.channel = channel
        drawing.effective = effective
        drawing.decode = inputOptions.decodeOptions
        let command = self, job = drawing, layerName = OutputNaming.fileSafe(m.graph.layerNames[index])
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false) { i in
            let path = command.output ?? naming.name(forInputAt: i, path: inputs[i], ext: "png", layer: layerName)
            return BatchReport.measuring(inputs[i], outputs: [path]) { report in
                report.text = (try job.draw(input: inputs[i], to: path) + ["→ \(path)"]).joined(separator: "\n")
            }
        }
    }
}
