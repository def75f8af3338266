/// The one table from ONNX operator type and opset range to the unit that implements it (as
/// onnxruntime's CPU provider registers each kernel once, with its version range).
enum OperatorRegistry {
    struct Entry: Sendable {
        var op: String
        var opsets: ClosedRange<Int>
        var unit: any OperatorUnit
    }

    /// The newest opset featmap knows of; ranges ending here hold for every later version too.
    static let newest = Int.max

    static let entries: [Entry] = [
        Entry(op: "Conv", opsets: 1...newest, unit: ConvOperator()),
        Entry(op: "MaxPool", opsets: 1...newest, unit: WindowPoolingOperator(kind: .max)),
        Entry(op: "AveragePool", opsets: 1...newest, unit: WindowPoolingOperator(kind: .average)),
        Entry(op: "GlobalAveragePool", opsets: 1...newest, unit: GlobalPoolingOperator(kind: .average)),
        Entry(op: "GlobalMaxPool", opsets: 1...newest, unit: GlobalPoolingOperator(kind: .max)),
        Entry(op: "Relu", opsets: 1...newest, unit: ActivationOperator(kind: .relu)),
        Entry(op: "LeakyRelu", opsets: 1...newest, unit: ActivationOperator(kind: .leakyRelu)),
        Entry(op: "Sigmoid", opsets: 1...newest, unit: ActivationOperator(kind: .sigmoid)),
        Entry(op: "Tanh", opsets: 1...newest, unit: ActivationOperator(kind: .tanh)),
        // Clip's bounds are attributes before opset 11 and optional inputs from 11 on.
        Entry(op: "Clip", opsets: 1...10, unit: ActivationOperator(kind: .clip(boundsAsInputs: false))),
        Entry(op: "Clip", opsets: 11...newest, unit: ActivationOperator(kind: .clip(boundsAsInputs: true))),
        Entry(op: "BatchNormalization", opsets: 1...newest, unit: BatchNormalizationOperator()),
        // Before opset 7 the second operand broadcasts only with `broadcast` = 1, aligned at `axis`.
        Entry(op: "Add", opsets: 1...6, unit: ArithmeticOperator(kind: .add, legacyBroadcast: true)),
        Entry(op: "Add", opsets: 7...newest, unit: ArithmeticOperator(kind: .add)),
        Entry(op: "Sub", opsets: 1...6, unit: ArithmeticOperator(kind: .subtract, legacyBroadcast: true)),
        Entry(op: "Sub", opsets: 7...newest, unit: ArithmeticOperator(kind: .subtract)),
        Entry(op: "Mul", opsets: 1...6, unit: ArithmeticOperator(kind: .multiply, legacyBroadcast: true)),
        Entry(op: "Mul", opsets: 7...newest, unit: ArithmeticOperator(kind: .multiply)),
        Entry(op: "Div", opsets: 1...6, unit: ArithmeticOperator(kind: .divide, legacyBroadcast: true)),
        Entry(op: "Div", opsets: 7...newest, unit: ArithmeticOperator(kind: .divide)),
        Entry(op: "Concat", opsets: 1...newest, unit: ConcatOperator()),
        // Reshape's target shape is an attribute before opset 5 and an input from 5 on; both are read.
        Entry(op: "Reshape", opsets: 1...newest, unit: ReshapeOperator()),
        Entry(op: "Flatten", opsets: 1...newest, unit: FlattenOperator()),
        Entry(op: "Transpose", opsets: 1...newest, unit: TransposeOperator()),
        Entry(op: "Gemm", opsets: 1...newest, unit: GemmOperator()),
        Entry(op: "MatMul", opsets: 1...newest, unit: MatMulOperator()),
        // Before opset 13 Softmax flattens the axes from `axis` (default 1) on; from 13 it runs along one axis (default −1).
        Entry(op: "Softmax", opsets: 1...12, unit: SoftmaxOperator(flattensTrailingAxes: true)),
        Entry(op: "Softmax", opsets: 13...newest, unit: SoftmaxOperator(flattensTrailingAxes: false)),
        Entry(op: "Dropout", opsets: 1...newest, unit: IdentityOperator()),
        Entry(op: "Identity", opsets: 1...newest, unit: IdentityOperator()),
        Entry(op: "Constant", opsets: 1...newest, unit: ConstantOperator()),
    ]

    private static let byOp: [String: [Entry]] = Dictionary(grouping: entries, by: \.op)

    /// The unit for `op` at `opset`, or nil when featmap does not implement it.
    static func unit(for op: String, opset: Int) -> (any OperatorUnit)? {
        byOp[op]?.first { $0.opsets.contains(opset) }?.unit
    }

    /// Every operator type featmap runs at some opset, sorted.
    static var operatorTypes: [String] { byOp.keys.sorted() }
}
