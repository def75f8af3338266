import ArgumentParser
import Dispatch
import FeatMapKit
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images: one line per input, PATH<TAB>CLASS<TAB>PROBABILITY.",
        discussion: """
        Inputs are images (preprocessed as the model's metadata and the flags say), .npy network inputs, or folders (their images, sorted). Memory does not grow with the number of inputs. A file that fails gets one line on standard error and the others go on; the exit status is then 1.

        Examples:
          featmap predict samples/lenet.weights samples/digit*.png
          featmap predict samples/lenet.weights digits/ --json
          find digits -name '*.png' | featmap predict lenet.weights --files-from -
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.")
    var model: String

    @Argument(help: "Images, .npy inputs or folders.")
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Read more input paths from this file, one per line ('-' for standard input).", valueName: "file"))
    var filesFrom: String?

    @Flag(help: "One JSON object per line: {\"input\", \"class\", \"index\", \"probability\"}.")
    var json = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if inputs.isEmpty && filesFrom == nil { throw ValidationError("give at least one input image, folder, or --files-from FILE") }
    }

    func run() throws {
        let m: Model
        do { m = try modelOptions.load(model) } catch let usage as ValidationError {
            throw usage
        } catch {
            ModelOptions.printError("\(error)")
            throw ExitCode.failure
        }
        var failures = 0
        var paths = PathStream(arguments: inputs, filesFrom: filesFrom)
        var out = OutputBuffer()
        while let path = paths.next(onError: { ModelOptions.printError($0); failures += 1 }) {
            do {
                let line = try PredictCommand.predict(path, model: m, json: json)
                out.append(line)
            } catch {
                out.flush()
                ModelOptions.printError("\(error)")
                failures += 1
            }
        }
        out.flush()
        if failures > 0 { throw ExitCode.failure }
    }

    static func predict(_ path: String, model: Model, json: Bool) throws -> String {
        let input = try model.input(fromFile: path)
        let result = model.graph.forward(input.tensor)
        if let stop = result.stoppedBy { throw stop }
        guard let output = result.output, let scores = ClassScores(output) else {
            throw ModelError.badInput("\(path): the model's output is not a vector of class scores, so there is nothing to predict; use `featmap layers` to see its layers")
        }
        let (index, p) = scores.top(1)[0]
        let name = model.className(index)
        if json {
            return "{\"input\":\(jsonString(path)),\"class\":\(jsonString(name)),\"index\":\(index),\"probability\":\(String(format: "%.6f", p))}"
        }
        return "\(path)\t\(name)\t\(String(format: "%.4f", p))"
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

/// Input paths from the arguments (folders expanded to their image and .npy files, sorted) and
/// then from --files-from, read one at a time so that a list of millions costs no memory.
struct PathStream {
    private var pending: [String]
    private var reader: LineReader?
    private var readerFailed = false
    private let filesFrom: String?

    init(arguments: [String], filesFrom: String?) {
        pending = arguments.reversed()
        self.filesFrom = filesFrom
    }

    static let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

    mutating func next(onError: (String) -> Void) -> String? {
        while true {
            if let p = pending.popLast() {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                    guard let names = try? FileManager.default.contentsOfDirectory(atPath: p) else {
                        onError("\(p): the folder cannot be listed; check its permissions"); continue
                    }
                    let files = names.filter { PathStream.extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                    let base = p.hasSuffix("/") ? p : p + "/"
                    pending.append(contentsOf: files.reversed().map { base + $0 })
                    continue
                }
                return p
            }
            guard let filesFrom, !readerFailed else { return nil }
            if reader == nil {
                reader = LineReader(path: filesFrom)
                if reader == nil { readerFailed = true; onError("\(filesFrom): cannot be opened for --files-from"); return nil }
            }
            guard let line = reader?.nextLine() else { return nil }
            if line.isEmpty { continue }
            return line
        }
    }
}

/// Lines of a file or of standard input ("-"), read lazily.
final class LineReader {
    private let handle: UnsafeMutablePointer<FILE>
    private let owned: Bool

    init?(path: String) {
        if path == "-" {
            guard let f = fdopen(0, "r") else { return nil }
            handle = f; owned = false
        } else {
            guard let f = fopen(path, "r") else { return nil }
            handle = f; owned = true
        }
    }

    deinit { if owned { fclose(handle) } }

    func nextLine() -> String? {
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        let n = getline(&line, &capacity, handle)
        guard n >= 0, let line else { return nil }
        var s = String(cString: line)
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        return s
    }
}

/// Standard output in blocks, flushed before anything goes to standard error so lines stay in order.
struct OutputBuffer {
    private var text = ""
    mutating func append(_ line: String) {
        text += line + "\n"
        if text.utf8.count > 1 << 16 { flush() }
    }
    mutating func flush() {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
        text = ""
    }
}
