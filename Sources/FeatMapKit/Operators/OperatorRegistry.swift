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
        // Shape subgraphs, Pad, DepthToSpace/SpaceToDepth (MatMul's batch broadcasting is in its entry above)
        // Shape gained start and end at opset 15.
        Entry(op: "Shape", opsets: 1...14, unit: ShapeOperator(readsRange: false)),
        Entry(op: "Shape", opsets: 15...newest, unit: ShapeOperator(readsRange: true)),
        Entry(op: "Gather", opsets: 1...newest, unit: GatherOperator()),
        // Squeeze's and Unsqueeze's axes are an attribute before opset 13 and an input from 13 on.
        Entry(op: "Squeeze", opsets: 1...12, unit: SqueezeOperator(inserts: false, axesAsInput: false)),
        Entry(op: "Squeeze", opsets: 13...newest, unit: SqueezeOperator(inserts: false, axesAsInput: true)),
        Entry(op: "Unsqueeze", opsets: 1...12, unit: SqueezeOperator(inserts: true, axesAsInput: false)),
        Entry(op: "Unsqueeze", opsets: 13...newest, unit: SqueezeOperator(inserts: true, axesAsInput: true)),
        // Slice's starts, ends and axes are attributes before opset 10; inputs, with steps, from 10 on.
        Entry(op: "Slice", opsets: 1...9, unit: SliceOperator(rangesAsInputs: false)),
        Entry(op: "Slice", opsets: 10...newest, unit: SliceOperator(rangesAsInputs: true)),
        // Split's sizes: an attribute before 13, an optional input from 13, or num_outputs from 18.
        Entry(op: "Split", opsets: 1...12, unit: SplitOperator(sizes: .attribute)),
        Entry(op: "Split", opsets: 13...17, unit: SplitOperator(sizes: .input)),
        Entry(op: "Split", opsets: 18...newest, unit: SplitOperator(sizes: .inputOrCount)),
        Entry(op: "Expand", opsets: 8...newest, unit: ExpandOperator()),
        Entry(op: "Tile", opsets: 6...newest, unit: TileOperator()),
        Entry(op: "Range", opsets: 11...newest, unit: RangeOperator()),
        Entry(op: "ConstantOfShape", opsets: 9...newest, unit: ConstantOfShapeOperator()),
        Entry(op: "Cast", opsets: 1...newest, unit: CastOperator()),
        Entry(op: "Where", opsets: 9...newest, unit: WhereOperator()),
        Entry(op: "Equal", opsets: 7...newest, unit: EqualOperator()),
        // Pad's pads and value are attributes in opsets 2…10 and inputs from 11 (axes from 18, wrap from 19).
        Entry(op: "Pad", opsets: 2...10, unit: PadOperator(padsAsInputs: false)),
        Entry(op: "Pad", opsets: 11...newest, unit: PadOperator(padsAsInputs: true)),
        // DepthToSpace's mode (DCR or CRD) arrived at opset 11; before it, DCR, the default.
        Entry(op: "DepthToSpace", opsets: 1...newest, unit: DepthSpaceOperator(toSpace: true)),
        Entry(op: "SpaceToDepth", opsets: 1...newest, unit: DepthSpaceOperator(toSpace: false)),
        // math: elementwise functions, LogSoftmax, variadic joins, reductions, normalisations (issue 14)
        Entry(op: "Elu", opsets: 1...newest, unit: UnaryOperator(kind: .elu)),
        Entry(op: "Selu", opsets: 1...newest, unit: UnaryOperator(kind: .selu)),
        Entry(op: "Celu", opsets: 12...newest, unit: UnaryOperator(kind: .celu)),
        Entry(op: "Softplus", opsets: 1...newest, unit: UnaryOperator(kind: .softplus)),
        Entry(op: "Softsign", opsets: 1...newest, unit: UnaryOperator(kind: .softsign)),
        Entry(op: "HardSigmoid", opsets: 1...newest, unit: UnaryOperator(kind: .hardSigmoid)),
        Entry(op: "HardSwish", opsets: 14...newest, unit: UnaryOperator(kind: .hardSwish)),
        Entry(op: "Gelu", opsets: 20...newest, unit: UnaryOperator(kind: .gelu)),
        Entry(op: "Mish", opsets: 18...newest, unit: UnaryOperator(kind: .mish)),
        Entry(op: "Erf", opsets: 9...newest, unit: UnaryOperator(kind: .erf)),
        Entry(op: "Exp", opsets: 1...newest, unit: UnaryOperator(kind: .exp)),
        Entry(op: "Log", opsets: 1...newest, unit: UnaryOperator(kind: .log)),
        Entry(op: "Sqrt", opsets: 1...newest, unit: UnaryOperator(kind: .sqrt)),
        Entry(op: "Abs", opsets: 1...newest, unit: UnaryOperator(kind: .abs)),
        Entry(op: "Neg", opsets: 1...newest, unit: UnaryOperator(kind: .neg)),
        Entry(op: "Reciprocal", opsets: 1...newest, unit: UnaryOperator(kind: .reciprocal)),
        Entry(op: "Floor", opsets: 1...newest, unit: UnaryOperator(kind: .floor)),
        Entry(op: "Ceil", opsets: 1...newest, unit: UnaryOperator(kind: .ceil)),
        // PRelu's slope and Pow's exponent broadcast NumPy style from opset 7; the legacy forms before it are not read.
        Entry(op: "PRelu", opsets: 1...6, unit: PReluOperator(perChannelSlope: true)),
        Entry(op: "PRelu", opsets: 7...newest, unit: PReluOperator()),
        Entry(op: "Pow", opsets: 1...6, unit: PowOperator(legacyBroadcast: true)),
        Entry(op: "Pow", opsets: 7...newest, unit: PowOperator()),
        // LogSoftmax changed at opset 13 as Softmax did.
        Entry(op: "LogSoftmax", opsets: 1...12, unit: SoftmaxOperator(flattensTrailingAxes: true, logarithmic: true)),
        Entry(op: "LogSoftmax", opsets: 13...newest, unit: SoftmaxOperator(flattensTrailingAxes: false, logarithmic: true)),
        Entry(op: "Sum", opsets: 1...newest, unit: VariadicOperator(kind: .sum)),
        Entry(op: "Max", opsets: 1...newest, unit: VariadicOperator(kind: .max)),
        Entry(op: "Min", opsets: 1...newest, unit: VariadicOperator(kind: .min)),
        Entry(op: "Mean", opsets: 1...newest, unit: VariadicOperator(kind: .mean)),
        // Reduce* axes: an attribute before ReduceSum's opset 13 and the others' 18, an optional input from then on.
        Entry(op: "ReduceSum", opsets: 1...12, unit: ReduceOperator(kind: .sum, axesAsInput: false)),
        Entry(op: "ReduceSum", opsets: 13...newest, unit: ReduceOperator(kind: .sum, axesAsInput: true)),
        Entry(op: "ReduceMean", opsets: 1...17, unit: ReduceOperator(kind: .mean, axesAsInput: false)),
        Entry(op: "ReduceMean", opsets: 18...newest, unit: ReduceOperator(kind: .mean, axesAsInput: true)),
        Entry(op: "ReduceMax", opsets: 1...17, unit: ReduceOperator(kind: .max, axesAsInput: false)),
        Entry(op: "ReduceMax", opsets: 18...newest, unit: ReduceOperator(kind: .max, axesAsInput: true)),
        Entry(op: "ReduceL2", opsets: 1...17, unit: ReduceOperator(kind: .l2, axesAsInput: false)),
        Entry(op: "ReduceL2", opsets: 18...newest, unit: ReduceOperator(kind: .l2, axesAsInput: true)),
        Entry(op: "LayerNormalization", opsets: 17...newest, unit: LayerNormalizationOperator()),
        Entry(op: "InstanceNormalization", opsets: 1...newest, unit: InstanceNormalizationOperator()),
        // GroupNormalization's scale and bias are per group at opset 18 and per channel from 21.
        Entry(op: "GroupNormalization", opsets: 18...20, unit: GroupNormalizationOperator(perChannelAffine: false)),
        Entry(op: "GroupNormalization", opsets: 21...newest, unit: GroupNormalizationOperator(perChannelAffine: true)),
        Entry(op: "LRN", opsets: 1...newest, unit: LRNOperator()),
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
        // recurrent (trained OCR recognisers): LSTM as onnxruntime registers it, 7–13, and 14 on with `layout`.
        Entry(op: "LSTM", opsets: 7...13, unit: LSTMOperator(hasLayout: false)),
        Entry(op: "LSTM", opsets: 14...newest, unit: LSTMOperator(hasLayout: true)),
    ]

    private static let byOp: [String: [Entry]] = Dictionary(grouping: entries, by: \.op)

    /// The unit for `op` at `opset`, or nil when featmap does not implement it.
    static func unit(for op: String, opset: Int) -> (any OperatorUnit)? {
        byOp[op]?.first { $0.opsets.contains(opset) }?.unit
    }

    /// Every operator type featmap runs at some opset, sorted.
    static var operatorTypes: [String] { byOp.keys.sorted() }
}
