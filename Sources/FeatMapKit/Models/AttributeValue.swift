/// The value of a node attribute, as ONNX stores it and as `.weights` writes it in JSON:
/// `{"int": 2}`, `{"ints": [1, 1]}`, `{"float": 0.01}`, `{"floats": […]}`, `{"string": "SAME_UPPER"}`,
/// `{"tensor": {"shape": [2], "values": […]}}`.
public enum AttributeValue: Sendable, Equatable, Codable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case floats([Float])
    case string(String)
    case strings([String])
    case tensor(Tensor)

    private enum Key: String, CodingKey { case int, ints, float, floats, string, strings, tensor }
    private struct TensorJSON: Codable { var shape: [Int]; var values: [Float] }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let v = try c.decodeIfPresent(Int.self, forKey: .int) { self = .int(v) }
        else if let v = try c.decodeIfPresent([Int].self, forKey: .ints) { self = .ints(v) }
        else if let v = try c.decodeIfPresent(Float.self, forKey: .float) { self = .float(v) }
        else if let v = try c.decodeIfPresent([Float].self, forKey: .floats) { self = .floats(v) }
        else if let v = try c.decodeIfPresent(String.self, forKey: .string) { self = .string(v) }
        else if let v = try c.decodeIfPresent([String].self, forKey: .strings) { self = .strings(v) }
        else if let v = try c.decodeIfPresent(TensorJSON.self, forKey: .tensor) {
            guard v.shape.allSatisfy({ $0 >= 0 }), SafeTensors.elementCount(v.shape) == v.values.count else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "tensor attribute of shape \(v.shape) holds \(v.values.count) values"))
            }
            self = .tensor(Tensor(shape: v.shape, storage: v.values))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "an attribute needs one of the keys int, ints, float, floats, string, tensor"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .int(let v): try c.encode(v, forKey: .int)
        case .ints(let v): try c.encode(v, forKey: .ints)
        case .float(let v): try c.encode(v, forKey: .float)
        case .floats(let v): try c.encode(v, forKey: .floats)
        case .string(let v): try c.encode(v, forKey: .string)
        case .strings(let v): try c.encode(v, forKey: .strings)
        case .tensor(let t): try c.encode(TensorJSON(shape: t.shape, values: t.storage), forKey: .tensor)
        }
    }

    public var intValue: Int? { if case .int(let v) = self { return v }; if case .float(let f) = self { return Int(exactly: f) }; return nil }
    public var floatValue: Float? { if case .float(let v) = self { return v }; if case .int(let i) = self { return Float(i) }; return nil }
    public var intsValue: [Int]? { if case .ints(let v) = self { return v }; if case .int(let i) = self { return [i] }; return nil }
    public var floatsValue: [Float]? { if case .floats(let v) = self { return v }; return nil }
    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var stringsValue: [String]? { if case .strings(let v) = self { return v }; if case .string(let v) = self { return [v] }; return nil }
    public var tensorValue: Tensor? { if case .tensor(let v) = self { return v }; return nil }
}
