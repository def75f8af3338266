import ArgumentParser
import Dispatch
import FeatMapKit
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images: one line per input, PATH<TAB>CLASS<TAB>PROBABILITY (PATH[K] for sample K of an [N, C, H, W] .npy).",
        discussion: """
        Inputs are images (preprocessed as the model's metadata and the flags say), .npy network inputs ([C, H, W], or [N, C, H, W]: each sample runs alone and gets its line), or folders (their images, sorted). Memory does not grow with the number of inputs. A file that fails gets one line on standard error and the others go on; the exit status is then 1.

        Examples:
          featmap predict samples/lenet.weights samples/digit*.png
          featmap predict samples/lenet.weights digits/ --json
          find digits -name '*.png' | featmap predict lenet.weights --files-from -
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let m: Model
        do { m = try modelOptions.load(model) } catch let usage as ValidationError {
            throw usage
        } catch {
            Terminal.printError("\(error)")
            throw ExitCode.failure
        }
        let inputs: [String]
        do { inputs = try inputOptions.inputList() } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        let decode = inputOptions.decodeOptions
        let plan = m.graph.fusionPlan()
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false, ordered: true) { i in
            let path = inputs[i]
            return BatchReport.measuring(path) { report in
                let samples = try m.inputs(fromFile: path, decodeOptions: decode)
                if samples.count == 1 {
                    let (index, p) = try PredictCommand.predict(samples.sample(0), path: path, model: m, plan: plan)
                    let name = m.className(index)
                    report.prediction = .init(className: name, index: index, probability: p)
                    report.text = "\(path)\t\(name)\t\(String(format: "%.4f", p))"
                    return
                }
                // An [N, C, H, W] .npy: one pass and one line per sample, PATH[K] (JSON: "sample": K).
                try m.graph.checkBatchMemory(sample: samples.sampleShape, count: samples.count)
                var lines: [String] = [], json: [String] = []
                for k in 0..<samples.count {
                    let started = DispatchTime.now().uptimeNanoseconds
                    let index: Int, p: Float
                    do { (index, p) = try PredictCommand.predict(samples.sample(k), path: "\(path)[\(k)]", model: m, plan: plan) } catch {
                        // The samples before it keep their lines.
                        report.text = lines.isEmpty ? nil : lines.joined(separator: "\n")
                        report.json = json.isEmpty ? nil : json.joined(separator: "\n")
                        let message = "\(error)"
                        throw ModelError.badInput(message.hasPrefix("\(path)[\(k)]") ? message : "\(path)[\(k)]: \(message)")
                    }
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                    let name = m.className(index)
                    lines.append("\(path)[\(k)]\t\(name)\t\(String(format: "%.4f", p))")
                    json.append("{\"class\":\(PredictCommand.jsonString(name)),\"index\":\(index),\"input\":\(PredictCommand.jsonString(path)),"
                                + "\"ms\":\((ms * 10).rounded() / 10),\"probability\":\((Double(p) * 1e6).rounded() / 1e6),\"sample\":\(k)}")
                }
                report.text = lines.joined(separator: "\n")
                report.json = json.joined(separator: "\n")
            }
        }
    }

    /// The most probable class of one input ([C, H, W]) and its probability.
    static func predict(_ input: Tensor, path: String, model: Model, plan: FusionPlan) throws -> (Int, Float) {
        let result = model.graph.forwardFused(input, plan: plan)
        if let stop = result.stoppedBy { throw stop }
        guard let output = result.output, let scores = ClassScores(output) else {
            throw ModelError.badInput("\(path): the model's output is not a vector of class scores, so there is nothing to predict; use `featmap layers` to see its layers")
        }
        return scores.top(1)[0]
    }

    static func jsonString(_ s: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try? encoder.encode(s)
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// Class probabilities from a network output: the output itself when it already is a
/// distribution (a Softmax ended the graph), else its softmax.
struct ClassScores {
    var probabilities: [Float]

    init?(_ output: Tensor) {
        // A classifier output has one axis longer than 1: [1, K], [K] or [1, K, 1, 1].
        guard output.count >= 2, output.shape.filter({ $0 > 1 }).count == 1 else { return nil }
        let v = output.storage
        let sum = v.reduce(0, +)
        if v.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(sum - 1) < 1e-3 {
            probabilities = v
        } else {
            let top = v.max() ?? 0
            let e = v.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            probabilities = e.map { $0 / total }
        }
    }

    func top(_ k: Int) -> [(Int, Float)] {
        Array(probabilities.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(k).map { ($0.offset, $0.element) })
    }
}
