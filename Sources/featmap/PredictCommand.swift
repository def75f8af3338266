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
        m = try modelOptions.loadOrExit(model)
        let inputs: [String]
        do { inputs = try inputOptions.inputList() } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        let decode = inputOptions.decodeOptions
        let plan = m.graph.fusionPlan()
        // Up to 64 files per job: their one-sample inputs run as one batched pass where the graph keeps
        // samples apart (the same bits as one at a time); fewer per job when the list is short, so that
        // every worker decodes a share.
        let batches = SampleBatches()
        let workers = max(1, runOptions.workerCount)
        let groupSize = min(64, max(1, (inputs.count + workers - 1) / workers))
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false, ordered: true,
                              groupSize: groupSize) { positions in
            // Decoding first, each file on its own: a file that fails gets its error, the others go on.
            var decoded: [Result<InputSamples, any Error>] = [], decodeMilliseconds: [Double] = []
            for i in positions {
                let started = DispatchTime.now().uptimeNanoseconds
                decoded.append(Result { try m.inputs(fromFile: inputs[i], decodeOptions: decode, keepingPicture: false) })
                decodeMilliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            }
            let single = decoded.indices.compactMap { j -> (Int, Tensor)? in
                guard case .success(let samples) = decoded[j], samples.count == 1 else { return nil }
                return (j, samples.sample(0))
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let classes = m.topClasses(of: single.map(\.1), sources: single.map { inputs[positions[$0.0]] }, plan: plan,
                                       batches: batches)
            let passShare = single.isEmpty ? 0 : Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 / Double(single.count)
            let classOf = Dictionary(uniqueKeysWithValues: zip(single.map(\.0), classes))
            return positions.indices.map { j in
                let path = inputs[positions[j]]
                var report = BatchReport.measuring(path) { report in
                    let samples = try decoded[j].get()
                    if let result = classOf[j] {
                        let (index, p) = try result.get()
                        let name = m.className(index)
                        report.prediction = .init(className: name, index: index, probability: p)
                        report.text = "\(path)\t\(name)\t\(String(format: "%.4f", p))"
                    } else {
                        try Self.predictEach(samples, of: path, model: m, plan: plan, batches: batches, into: &report)
                    }
                }
                report.milliseconds += decodeMilliseconds[j] + (classOf[j] == nil ? 0 : passShare)
                return report
            }
        }
    }

    /// An [N, C, H, W] .npy: one pass and one line per sample, PATH[K] (JSON: "sample": K).
    private static func predictEach(_ samples: InputSamples, of path: String, model m: Model, plan: FusionPlan,
                                    batches: SampleBatches, into report: inout BatchReport) throws {
        try m.graph.checkBatchMemory(sample: samples.sampleShape, count: samples.count)
        var lines: [String] = [], json: [String] = []
        for k in 0..<samples.count {
            let started = DispatchTime.now().uptimeNanoseconds
            let index: Int, p: Float
            do { (index, p) = try m.topClass(of: samples.sample(k), source: "\(path)[\(k)]", plan: plan, batches: batches) } catch {
                // The samples before it keep their lines.
                report.text = lines.isEmpty ? nil : lines.joined(separator: "\n")
                report.json = json.isEmpty ? nil : json.joined(separator: "\n")
                let message = "\(error)"
                throw ModelError.badInput(message.hasPrefix("\(path)[\(k)]") ? message : "\(path)[\(k)]: \(message)")
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            let name = m.className(index)
            lines.append("\(path)[\(k)]\t\(name)\t\(String(format: "%.4f", p))")
            var line = BatchReport(input: path)
            line.prediction = .init(className: name, index: index, probability: p)
            line.sample = k
            line.milliseconds = ms
            json.append(line.jsonLine)
        }
        report.text = lines.joined(separator: "\n")
        report.json = json.joined(separator: "\n")
    }
}
