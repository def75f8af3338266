/// Why a model could not be read or run. Each description is one sentence: what, where, what to do.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case corruptONNX(file: String, reason: String)
    case corruptWeights(file: String, reason: String)
    case badTensor(file: String, tensor: String, reason: String)
    case missingTensor(file: String, tensor: String, node: String)
    case badGraph(file: String, reason: String)
    case unsupportedOperator(node: String, op: String)
    case layerFailed(node: String, op: String, reason: String)
    case unknownLayer(String, available: [String])
    case badInput(String)
    case badPreprocessing(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        case let .corruptONNX(file, reason):
            return "\(file): not a readable ONNX model (\(reason)); the file may be truncated or not ONNX — re-export it or convert it with `featmap convert`"
        case let .corruptWeights(file, reason):
            return "\(file): not a readable .weights/safetensors file: \(reason)"
        case let .badTensor(file, tensor, reason):
            return "\(file): tensor '\(tensor)' \(reason)"
        case let .missingTensor(file, tensor, node):
            return "\(file): node '\(node)' needs tensor '\(tensor)', which is neither in the file's tensors nor produced by an earlier node; re-export the model or fix the architecture"
        case let .badGraph(file, reason):
            return "\(file): \(reason)"
        case let .unsupportedOperator(node, op):
            return "node '\(node)' uses operator \(op), which featmap does not support; the layers before it were computed (use --upto to stop earlier)"
        case let .layerFailed(node, op, reason):
            return "node '\(node)' (\(op)) failed: \(reason)"
        case let .unknownLayer(name, available):
            let shown = available.prefix(12).joined(separator: ", ")
            return "no layer named '\(name)'; layers are: \(shown)\(available.count > 12 ? ", …" : "")"
        case .badInput(let s), .badPreprocessing(let s):
            return s
        }
    }
}
