import ArgumentParser
import FeatMapKit
import Foundation

/// Options shared by `layers`, `predict` and `convert`: the model file and the preprocessing
/// overrides. Values not given come from the model's metadata (or its declared input shape).
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("arch"), help: ArgumentHelp("Architecture JSON for a bare safetensors state dict (see docs/weights-format.md).", valueName: "file.json"), completion: .file(extensions: ["json"]))
    var architecture: String?

    @Option(help: ArgumentHelp("Network input size: N (square) or H,W.", valueName: "size"))
    var size: String?

    @Option(help: "Input channels and their order: grey, rgb or bgr.")
    var color: Preprocessing.Color?

    @Option(help: "How the image is fitted: digit (MNIST-style centring), crop (shorter side resized, centre cropped) or stretch.")
    var fit: Preprocessing.Fit?

    @Option(help: ArgumentHelp("Pixel range LO,HI that 0…255 maps to before mean/std (e.g. 0,1 or 0,255).", valueName: "lo,hi"))
    var range: String?

    @Option(help: ArgumentHelp("Mean subtracted per channel: one value or one per channel.", valueName: "m[,m,m]"))
    var mean: String?

    @Option(help: ArgumentHelp("Standard deviation divided per channel: one value or one per channel.", valueName: "s[,s,s]"))
    var std: String?

    @Option(help: ArgumentHelp("Refuse a model and input whose activations need more than this at the pass's peak (e.g. 512M, 8G); default: 80% of the machine's memory.", valueName: "size"))
    var maxMemory: String?

    /// --max-memory in bytes.
    var memoryLimit: Int {
        get throws {
            guard let maxMemory else { return Graph.defaultMemoryLimit }
            guard let b = ByteCount(parsing: maxMemory), b.bytes > 0 else {
                throw ValidationError("--max-memory needs a size such as 512M or 8G, got '\(maxMemory)'")
            }
            return b.bytes
        }
    }

    func validate() throws {
        _ = try memoryLimit
        _ = try overridden(Preprocessing(width: 1, height: 1, color: color ?? .rgb, fit: .stretch, range: [0, 1],
                                         mean: [0], std: [1]), validating: false)
    }

    static func numbers(_ text: String, flag: String) throws -> [Float] {
        let parts = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw ValidationError("--\(flag) needs comma-separated numbers, got '\(text)'")
        }
        return parts.map { $0! }
    }

    /// The flags given on the command line, checked one by one.
    var overrides: PreprocessingOverrides {
        get throws {
            var o = PreprocessingOverrides()
            if let size {
                let v = try ModelOptions.numbers(size, flag: "size").map { Int($0) }
                guard (v.count == 1 || v.count == 2), v.allSatisfy({ $0 >= 1 && $0 <= 16384 }) else {
                    throw ValidationError("--size needs N or H,W between 1 and 16384, got '\(size)'")
                }
                o.height = v[0]; o.width = v.count == 2 ? v[1] : v[0]
            }
            o.color = color
            o.fit = fit
            if let range {
                let v = try ModelOptions.numbers(range, flag: "range")
                guard v.count == 2, v[0] != v[1] else { throw ValidationError("--range needs two different numbers LO,HI, got '\(range)'") }
                o.range = v
            }
            if let mean { o.mean = try ModelOptions.numbers(mean, flag: "mean") }
            if let std {
                o.std = try ModelOptions.numbers(std, flag: "std")
                guard o.std!.allSatisfy({ $0 != 0 }) else { throw ValidationError("--std cannot be zero") }
            }
            return o
        }
    }

    /// The model's preprocessing with the flags given on the command line.
    func overridden(_ base: Preprocessing, validating: Bool = true) throws -> Preprocessing {
        let p = try overrides.applied(to: base)
        if validating {
            do { return try p.validated() } catch { throw ValidationError("\(error)") }
        }
        return p
    }

    /// Loads the model, applies the overrides and prints load warnings (NaN weights) on standard error.
    /// `load` for a command's run: a usage error stays one (exit 64), any other is printed as one line
    /// and exits 1.
    func loadOrExit(_ path: String) throws -> Model {
        do { return try load(path) } catch let usage as ValidationError {
            throw usage
        } catch {
            ModelOptions.printError("\(error)")
            throw ExitCode.failure
        }
    }

    func load(_ path: String) throws -> Model {
        var model = try Model.load(contentsOf: URL(fileURLWithPath: path),
                                   architecture: architecture.map { URL(fileURLWithPath: $0) }, memoryLimit: try memoryLimit)
        for warning in model.warnings { ModelOptions.printError(warning) }
        try OneDNN.require()
        model.preprocessing = try overridden(model.preprocessing)
        model.graph.memoryLimit = try memoryLimit
        return model
    }

    static func printError(_ message: String) { Terminal.printError(message) }
}

extension Preprocessing.Color: ExpressibleByArgument {}
extension Preprocessing.Fit: ExpressibleByArgument {}
