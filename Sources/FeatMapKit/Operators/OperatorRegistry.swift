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
        Entry(op: "Add", opsets: 1...newest, unit: ArithmeticOperator(kind: .add)),
        Entry(op: "Sub", opsets: 1...newest, unit: ArithmeticOperator(kind: .subtract)),
        Entry(op: "Mul", opsets: 1...newest, unit: ArithmeticOperator(kind: .multiply)),
        Entry(op: "Div", opsets: 1...newest, unit: ArithmeticOperator(kind: .divide)),
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
        // resizing, ConvTranspose, LpPool
        // Upsample: scales an attribute in 7–8, an input from 9. Deprecated from 10 (Resize replaces it), its
        // schema keeping 9's inputs; a later model that still holds one is read as 9.
        Entry(op: "Upsample", opsets: 7...8, unit: ResizeOperator(form: .upsample7)),
        Entry(op: "Upsample", opsets: 9...newest, unit: ResizeOperator(form: .upsample9)),
        // Resize: 10 as Upsample 9; 11 adds roi, sizes and the coordinate modes; 13 makes roi and scales
        // optional; 18 adds antialias, axes and keep_aspect_ratio_policy; 19 half_pixel_symmetric.
        Entry(op: "Resize", opsets: 10...10, unit: ResizeOperator(form: .resize10)),
        Entry(op: "Resize", opsets: 11...12, unit: ResizeOperator(form: .resize11)),
        Entry(op: "Resize", opsets: 13...17, unit: ResizeOperator(form: .resize13)),
        Entry(op: "Resize", opsets: 18...18, unit: ResizeOperator(form: .resize18)),
        Entry(op: "Resize", opsets: 19...newest, unit: ResizeOperator(form: .resize19)),
        Entry(op: "ConvTranspose", opsets: 1...newest, unit: ConvTransposeOperator()),
        // LpPool's p is a float in opset 1 and an integer from 2; dilations and ceil_mode come in 18 (absent before).
        Entry(op: "LpPool", opsets: 1...newest, unit: LpPoolOperator()),
    ]

    private static let byOp: [String: [Entry]] = Dictionary(grouping: entries, by: \.op)

    /// The unit for `op` at `opset`, or nil when featmap does not implement it.
    static func unit(for op: String, opset: Int) -> (any OperatorUnit)? {
        byOp[op]?.first { $0.opsets.contains(opset) }?.unit
    }

    /// Every operator type featmap runs at some opset, sorted.
    static var operatorTypes: [String] { byOp.keys.sorted() }
}
