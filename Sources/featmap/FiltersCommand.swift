import ArgumentParser
import FeatMapKit
import Foundation

struct FiltersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "Draw a convolution layer's learned filters as a grid.",
        discussion: """
        Filters over 3 input channels (the first layer of a colour network) are drawn in colour, each
        stretched over its own range; others get one row per filter and one column per input channel,
        in a diverging colormap centred on zero (blue negative, red positive).

        Examples:
          featmap filters samples/squeezenet-first.weights             first convolution
          featmap filters samples/lenet.weights --layer conv2 -o conv2.png
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @Option(help: ArgumentHelp("The convolution layer (default: the first one).", valueName: "name"), completion: Completions.layerNames())
    var layer: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Output picture, .png, .svg or .pdf (default: MODEL-LAYER-filters.png).", valueName: "out.png"))
    var output: String?

    @Option(help: ArgumentHelp("Picture format of the default names: png, svg or pdf (-o takes the format from its extension).", valueName: "format"))
    var imageFormat: PictureFormat = .png

    @Option(name: .customLong("arch"), help: ArgumentHelp("Architecture JSON for a bare safetensors state dict.", valueName: "file.json"), completion: .file(extensions: ["json"]))
    var architecture: String?

    func run() throws {
        let m: Model
        do {
            m = try Model.load(contentsOf: URL(fileURLWithPath: model), architecture: architecture.map { URL(fileURLWithPath: $0) })
        } catch {
            Terminal.printError("\(error)")
            throw ExitCode.failure
        }
        for warning in m.warnings { Terminal.printError(warning) }
        let g = m.graph
        let index: Int
        do { index = try g.convolutionNode(named: layer, source: model) } catch {
            Terminal.printError("\(error)")
            throw ExitCode(64)
        }
        let name = g.layerNames[index]
        do {
            let weights = try g.storedFilters(atNode: index)
            let picture = try FilterGrid.draw(weights: weights, title: name).drawing
            let stem = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
            let path = output ?? "\(stem)-\(OutputNaming.fileSafe(name))-filters.\(imageFormat.fileExtension)"
            try picture.write(to: path, as: PictureFormat.forOutput(path, fallback: imageFormat))
            print("\(name): \(weights.shape.map(String.init).joined(separator: "×")) → \(path) (\(picture.width)×\(picture.height))")
        } catch {
            Terminal.printError("\(error)")
            throw ExitCode.failure
        }
    }
}
