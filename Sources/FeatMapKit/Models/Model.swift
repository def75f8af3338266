import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A trained network ready to run: its graph, how to turn an image into its input, and class names.
public struct Model: Sendable {
    /// A short name for output folders: the file name without its extension.
    public var name: String
    public var graph: Graph
    public var preprocessing: Preprocessing
    public var classes: [String]?
    /// Non-fatal problems found while loading (e.g. NaN weights).
    public var warnings: [String]

    public init(name: String, graph: Graph, preprocessing: Preprocessing, classes: [String]? = nil, warnings: [String] = []) {
        self.name = name; self.graph = graph; self.preprocessing = preprocessing; self.classes = classes; self.warnings = warnings
    }

    /// Loads an ONNX model, a featmap `.weights` file, or a bare safetensors state dict with an
    /// architecture JSON (`architecture`), deciding by content rather than by extension. `memoryLimit`
    /// (`--max-memory`; nil: `Graph.defaultMemoryLimit`) bounds the constants computed at load and the passes.
    public static func load(contentsOf url: URL, architecture: URL? = nil, memoryLimit: Int? = nil) throws -> Model {
        let file = url.path
        // A regular file is mapped (MappedFile), so that an ONNX model's weights are read once, straight
        // from its pages; anything else (a pipe, /dev/stdin) is read whole, as before.
        var info = stat()
        let regular = stat(file, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let mapped = regular ? try MappedFile(path: file) : nil
        let data: Data
        if let mapped {
            data = mapped.data
        } else {
            do { data = try Data(contentsOf: url) } catch {
                throw ModelError.unreadable(file: file, reason: "cannot be read (\(error.localizedDescription)); check the path")
            }
        }
        let name = url.deletingPathExtension().lastPathComponent
        var model: Model
        if let architecture {
            let arch: Data
            do { arch = try Data(contentsOf: architecture) } catch {
                throw ModelError.unreadable(file: architecture.path, reason: "cannot be read; check the --arch path")
            }
            model = try WeightsFile.read(data, file: file, name: name, architecture: arch, architectureFile: architecture.path, memoryLimit: memoryLimit)
        } else if WeightsFile.looksLikeSafetensors(data) {
            model = try WeightsFile.read(data, file: file, name: name, memoryLimit: memoryLimit)
        } else if let mapped {
            model = try ONNXReader.read(mapped: mapped, file: file, name: name, memoryLimit: memoryLimit)
        } else {
            model = try ONNXReader.read(data, file: file, name: name, memoryLimit: memoryLimit)
        }
        model.warnings += Model.nanWarnings(model.graph, file: file)
        model.warnings += model.graph.unsupportedOperatorLines(file: file)
        return model
    }

    static func nanWarnings(_ graph: Graph, file: String) -> [String] {
        graph.weights.keys.sorted().compactMap { key in
            let t = graph.weights[key]!
            let bad = t.storage.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            return bad > 0 ? "warning: \(file): tensor '\(key)' has \(bad) NaN or infinite value\(bad == 1 ? "" : "s"); the layers that use it will output NaN" : nil
        }
    }

    /// The class name for an output index: the metadata's name when present, else the index.
    public func className(_ index: Int) -> String {
        if let classes, classes.indices.contains(index) { return classes[index] }
        return String(index)
    }
}
