/// One operator of a model graph: ONNX's NodeProto without the protobuf.
public struct GraphNode: Sendable, Equatable, Codable {
    /// The operator type as ONNX spells it: "Conv", "Relu", "MaxPool", …
    public var op: String
    /// The name the exporter wrote (often empty or a number in PyTorch exports).
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: AttributeValue]

    public init(op: String, name: String = "", inputs: [String], outputs: [String], attributes: [String: AttributeValue] = [:]) {
        self.op = op; self.name = name; self.inputs = inputs; self.outputs = outputs; self.attributes = attributes
    }

    private enum Key: String, CodingKey { case op, name, inputs, outputs, attributes }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        op = try c.decode(String.self, forKey: .op)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        inputs = try c.decodeIfPresent([String].self, forKey: .inputs) ?? []
        outputs = try c.decode([String].self, forKey: .outputs)
        attributes = try c.decodeIfPresent([String: AttributeValue].self, forKey: .attributes) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(op, forKey: .op)
        if !name.isEmpty { try c.encode(name, forKey: .name) }
        try c.encode(inputs, forKey: .inputs)
        try c.encode(outputs, forKey: .outputs)
        if !attributes.isEmpty { try c.encode(attributes, forKey: .attributes) }
    }

    func int(_ key: String, default value: Int) -> Int { attributes[key]?.intValue ?? value }
    func float(_ key: String, default value: Float) -> Float { attributes[key]?.floatValue ?? value }
    func ints(_ key: String) -> [Int]? { attributes[key]?.intsValue }
    func string(_ key: String) -> String? { attributes[key]?.stringValue }
    func strings(_ key: String) -> [String]? { attributes[key]?.stringsValue }
    func floats(_ key: String) -> [Float]? { attributes[key]?.floatsValue }
}
