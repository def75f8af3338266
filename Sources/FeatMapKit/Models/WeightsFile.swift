import Foundation

/// featmap's `.weights` model file: a safetensors file whose `__metadata__` carries the
/// architecture, preprocessing and class names as JSON strings (see docs/weights-format.md).
public enum WeightsFile {
    public static let formatKey = "featmap.format"
    public static let architectureKey = "featmap.architecture"
    public static let preprocessingKey = "featmap.preprocessing"
    public static let classesKey = "featmap.classes"

    /// The architecture JSON: the graph without its tensors.
    public struct Architecture: Codable, Sendable {
        public struct Input: Codable, Sendable { public var name: String; public var shape: [Int] }
        public var opset: Int?
        public var input: Input
        public var outputs: [String]
        public var nodes: [GraphNode]
        /// Only in a separate `--arch` file: the preprocessing and classes that would otherwise sit in the metadata.
        public var preprocessing: Preprocessing?
        public var classes: [String]?
    }

    /// A safetensors file starts with a small little-endian length followed by "{".
    static func looksLikeSafetensors(_ data: Data) -> Bool {
        guard data.count >= 9 else { return false }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return data[data.startIndex + 8] == UInt8(ascii: "{") && length > 0
    }

    static func read(_ data: Data, file: String, name: String, architecture: Data? = nil, architectureFile: String? = nil,
                     memoryLimit: Int? = nil) throws -> Model {
        let st = try SafeTensors(data, file: file)
        let arch: Architecture
        let archFile = architectureFile ?? file
        if let architecture {
            arch = try decode(Architecture.self, from: architecture, what: "the architecture JSON", file: archFile)
        } else {
            guard let json = st.metadata[architectureKey] else {
                throw ModelError.corruptWeights(file: file, reason: "its __metadata__ has no '\(architectureKey)'; a bare state dict needs --arch FILE.json describing the graph")
            }
            arch = try decode(Architecture.self, from: Data(json.utf8), what: "metadata '\(architectureKey)'", file: file)
        }
        let graph = try Graph(nodes: arch.nodes, weights: st.tensors, weightTypes: st.types, inputName: arch.input.name,
                              inputShape: arch.input.shape, outputs: arch.outputs, opset: arch.opset ?? 13, file: archFile,
                              memoryLimit: memoryLimit)
        var preprocessing = arch.preprocessing ?? Preprocessing.defaults(forInputShape: arch.input.shape)
        if let p = st.metadata[preprocessingKey] { preprocessing = try decodePreprocessing(p, file: file) }
        var classes = arch.classes
        if let c = st.metadata[classesKey] { classes = try decodeClasses(c, file: file) }
        return Model(name: name, graph: graph, preprocessing: preprocessing, classes: classes)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String, file: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
            let detail: String
            switch error {
            case .keyNotFound(let key, let ctx): detail = "missing key '\(key.stringValue)' at \(path(ctx.codingPath))"
            case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx): detail = "wrong type at \(path(ctx.codingPath))"
            case .dataCorrupted(let ctx): detail = ctx.debugDescription + (ctx.codingPath.isEmpty ? "" : " at \(path(ctx.codingPath))")
            @unknown default: detail = "\(error)"
            }
            throw ModelError.corruptWeights(file: file, reason: "\(what) is not valid: \(detail); see docs/weights-format.md")
        } catch {
            throw ModelError.corruptWeights(file: file, reason: "\(what) is not valid JSON")
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    static func decodePreprocessing(_ json: String, file: String) throws -> Preprocessing {
        try decode(Preprocessing.self, from: Data(json.utf8), what: "metadata '\(preprocessingKey)'", file: file)
    }

    static func decodeClasses(_ json: String, file: String) throws -> [String] {
        try decode([String].self, from: Data(json.utf8), what: "metadata '\(classesKey)'", file: file)
    }

    /// The model as `.weights` bytes. Weights keep their stored precision (F16 stays F16).
    public static func serialized(_ model: Model) throws -> Data {
        let g = model.graph
        let arch = Architecture(opset: g.opset, input: .init(name: g.inputName, shape: g.inputShape), outputs: g.outputs,
                                nodes: g.nodes, preprocessing: nil, classes: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func text<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
        var metadata = [formatKey: "1", architectureKey: try text(arch), preprocessingKey: try text(model.preprocessing)]
        if let classes = model.classes { metadata[classesKey] = try text(classes) }
        let types = g.weightTypes.mapValues { $0 == "F16" ? "F16" : "F32" }
        return try SafeTensors(tensors: g.weights, types: types, metadata: metadata).serialized()
    }
}
