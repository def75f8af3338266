import ArgumentParser
import FeatMapKit
import Foundation

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an ONNX model (or a state dict + --arch) into featmap's .weights file.",
        discussion: """
        A .weights file is a safetensors file whose metadata holds the graph, the input preprocessing and the class names (docs/weights-format.md). Float16 weights stay float16.

        Examples:
          featmap convert lenet.onnx -o lenet.weights --mean 0.1307 --std 0.3081
          featmap convert squeezenet.onnx -o first.weights --upto pool1_1 --range 0,255
          featmap convert model.onnx -o model.weights --classes names.txt
          featmap convert state_dict.safetensors --arch lenet.json -o lenet.weights
        """
    )

    @Argument(help: "The model: .onnx, .weights, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The .weights file to write.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Keep only the graph up to this layer (inclusive) and the weights it uses.", valueName: "layer"), completion: Completions.layerNames())
    var upto: String?

    @Option(help: ArgumentHelp("Class names, one per line, in output order.", valueName: "file"))
    var classes: String?

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        var m: Model
        do {
            m = try modelOptions.load(model)
            if let upto {
                let index: Int
                do { index = try m.graph.nodeIndex(named: upto) } catch {
                    ModelOptions.printError("\(error)")
                    throw ExitCode(64)
                }
                m.graph = try m.graph.truncated(after: index)
            }
            if let classes { m.classes = try Model.classNames(fromFile: classes) }
            let bytes = try WeightsFile.serialized(m)
            try OutputFile.write([UInt8](bytes), to: output)
        } catch let e as ExitCode {
            throw e
        } catch let usage as ValidationError {
            throw usage
        } catch {
            ModelOptions.printError("\(error)")
            throw ExitCode.failure
        }
        let params = m.graph.weights.values.reduce(0) { $0 + $1.count }
        print("\(output): \(m.graph.nodes.count) nodes (\(m.graph.layerNames.first ?? "") … \(m.graph.layerNames.last ?? "")), "
              + "\(m.graph.weights.count) tensors, \(params) parameters")
    }
}
