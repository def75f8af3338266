import Foundation
import SwiftProtobuf

/// Reads an ONNX ModelProto into a `Model`: initializers widened to float32 (from float32,
/// float16, double or integer data, in `raw_data`, the typed fields or an external file beside the model
/// (see `ONNXExternalData`), Constant nodes kept as
/// nodes, initializers that are also listed as graph inputs not taken for the data input.
///
/// A mapped file (`read(mapped:)`) is read without copying its weights through protobuf messages:
/// `ONNXInitializerScan` finds the initializers' raw_data in the mapping, SwiftProtobuf parses the rest,
/// and each tensor is filled straight from the mapped bytes. When the scan and the parsed message
/// disagree, the file is parsed as it is (`read(_:)`, the plain path).
enum ONNXReader {
    /// The plain path: SwiftProtobuf parses the whole file, weights included.
    static func read(_ data: Data, file: String, name: String, memoryLimit: Int? = nil) throws -> Model {
        let proto: Onnx_ModelProto
        do { proto = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw ModelError.corruptONNX(file: file, reason: "\(error)")
        }
        return try model(from: proto, file: file, name: name, memoryLimit: memoryLimit) { _, t, external in
            try tensor(from: t, file: file, external: external)
        }
    }

    /// The mapped path; `scan` replaces the file's own scan (tests).
    static func read(mapped: MappedFile, file: String, name: String, memoryLimit: Int? = nil,
                     scan: ONNXInitializerScan? = nil) throws -> Model {
        guard let (proto, scan) = parseStripped(mapped, scan: scan) else {
            return try read(mapped.data, file: file, name: name, memoryLimit: memoryLimit)
        }
        return try model(from: proto, file: file, name: name, memoryLimit: memoryLimit) { i, t, external in
            try tensor(from: t, file: file, external: external,
                       raw: scan.initializers[i].rawData.map { MappedBytes(file: mapped, range: $0) })
        }
    }

    /// The model without its initializers' raw_data, and the scan that found them; nil when the scan
    /// fails or disagrees with the parsed message (so the plain path decides, and reports any damage).
    static func parseStripped(_ mapped: MappedFile, scan given: ONNXInitializerScan? = nil) -> (Onnx_ModelProto, ONNXInitializerScan)? {
        guard let scan = given ?? ONNXInitializerScan(mapped.bytes),
              let proto = try? Onnx_ModelProto(serializedBytes: scan.stripped),
              scan.agrees(with: proto.graph.initializer) else { return nil }
        return (proto, scan)
    }

    private static func model(from proto: Onnx_ModelProto, file: String, name: String, memoryLimit: Int?,
                              initializer: (Int, Onnx_TensorProto, ONNXExternalData) throws -> Tensor) throws -> Model {
        guard proto.hasGraph, !proto.graph.node.isEmpty else {
            throw ModelError.corruptONNX(file: file, reason: "it holds no graph nodes")
        }
        let opset = proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 7
        // Opset 6 is what the onnx wheel's PyTorch-converted test models use; before it, Conv, pooling and
        // the arithmetic ops had other attributes.
        guard opset >= 6 || proto.opsetImport.isEmpty else {
            throw ModelError.badGraph(file: file, reason: "uses ONNX opset \(opset); featmap reads opset 6 and newer — re-export with a newer opset")
        }
        let g = proto.graph
        let external = ONNXExternalData(modelFile: file)
        var weights: [String: Tensor] = [:], types: [String: String] = [:]
        for (i, t) in g.initializer.enumerated() {
            weights[t.name] = try initializer(i, t, external)
            types[t.name] = storageName(t.dataType)
        }
        guard let input = g.input.first(where: { weights[$0.name] == nil }) else {
            throw ModelError.badGraph(file: file, reason: "every graph input is an initializer, so there is no data input")
        }
        // featmap feeds one tensor: a second data input that a node reads could never be given.
        let dataInputs = g.input.filter { weights[$0.name] == nil }
        if dataInputs.count > 1 {
            let read = Set(g.node.flatMap(\.input))
            let fed = dataInputs.filter { read.contains($0.name) }
            if fed.count > 1 {
                let names = fed.prefix(3).map { "'\($0.name)'" }.joined(separator: ", ") + (fed.count > 3 ? ", …" : "")
                throw ModelError.badGraph(file: file, reason: "the graph reads \(fed.count) data inputs (\(names)); featmap runs models with one data input — export the model with a single input, the others as initializers")
            }
        }
        let shape = input.type.tensorType.shape.dim.map { dim -> Int in
            if case .dimValue(let v)? = dim.value { return Int(v) }
            return -1
        }
        let nodes = try g.node.map { n in
            GraphNode(op: n.opType, name: n.name, inputs: n.input, outputs: n.output,
                      attributes: try Dictionary(n.attribute.map { ($0.name, try attribute($0, node: n.name, file: file, external: external)) },
                                                 uniquingKeysWith: { a, _ in a }))
        }
        let graph = try Graph(nodes: nodes, weights: weights, weightTypes: types, inputName: input.name, inputShape: shape,
                              outputs: g.output.map(\.name), opset: opset, file: file, memoryLimit: memoryLimit)
        var preprocessing = Preprocessing.defaults(forInputShape: shape)
        var classes: [String]? = nil
        for prop in proto.metadataProps {
            if prop.key == WeightsFile.preprocessingKey {
                preprocessing = try WeightsFile.decodePreprocessing(prop.value, file: file)
            } else if prop.key == WeightsFile.classesKey {
                classes = try WeightsFile.decodeClasses(prop.value, file: file)
            }
        }
        return Model(name: name, graph: graph, preprocessing: preprocessing, classes: classes)
    }

    static func storageName(_ type: Int32) -> String {
        switch type {
        case 1: return "F32"
        case 10: return "F16"
        case 11: return "F64"
        case 16: return "BF16"
        case 7: return "I64"
        case 6: return "I32"
        default: return "F32"
        }
    }

    /// A tensor's raw little-endian bytes: `raw` (a range of a mapped file) when given, else the external
    /// file's bytes (data_location EXTERNAL), else the message's raw_data, else its typed fields.
    static func tensor(from proto: Onnx_TensorProto, file: String, external: ONNXExternalData? = nil,
                       raw mapped: MappedBytes? = nil) throws -> Tensor {
        let t = proto
        let shape = t.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelError.badTensor(file: file, tensor: t.name, reason: "has a negative dimension in shape \(shape)")
        }
        guard let count = SafeTensors.elementCount(shape), count <= Int.max / 8 else {
            throw ModelError.badTensor(file: file, tensor: t.name, reason: "has shape \(shape), too large to be real; the file is damaged")
        }
        var source: RawSource? = mapped.map { .mapped($0) } ?? (t.hasRawData ? .message(t.rawData) : nil)
        if t.dataLocation == .external {
            guard let width = ONNXExternalData.elementSize(t.dataType) else {
                throw ModelError.badTensor(file: file, tensor: t.name, reason: "has ONNX data type \(t.dataType), which featmap cannot widen to float32; use float32 or float16 weights")
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow else {
                throw ModelError.badTensor(file: file, tensor: t.name, reason: "has shape \(shape), too large to be real; the file is damaged")
            }
            source = try (external ?? ONNXExternalData(modelFile: file)).bytes(of: t, expected: expected)
        }
        let values: [Float]
        func mismatch(_ n: Int, _ unit: String) -> ModelError {
            .badTensor(file: file, tensor: t.name, reason: "has \(n) \(unit) for shape \(shape) (\(count) values); the file is damaged")
        }
        /// Widens raw data of `width` bytes per element, after checking its length.
        func decoded(_ raw: RawSource, width: Int, _ map: (UInt64) -> Float) throws -> [Float] {
            guard raw.count == count * width else { throw mismatch(raw.count, "bytes") }
            return raw.decodeLittleEndian(count: count, width: width, map)
        }
        switch t.dataType {
        case 1:
            if let source {
                guard source.count == count * 4 else { throw mismatch(source.count, "bytes") }
                values = source.floats(count: count)
            } else {
                guard t.floatData.count == count else { throw mismatch(t.floatData.count, "values") }
                values = t.floatData
            }
        case 10, 16:
            let isHalf = t.dataType == 10
            let widen: (UInt16) -> Float = { bits in
                isHalf ? HalfPrecision.float(fromBits: bits) : Float(bitPattern: UInt32(bits) << 16)
            }
            if let source {
                values = try decoded(source, width: 2) { widen(UInt16(truncatingIfNeeded: $0)) }
            } else {
                // Typed float16 data sits in int32_data, one half per element.
                guard t.int32Data.count == count else { throw mismatch(t.int32Data.count, "values") }
                values = t.int32Data.map { widen(UInt16(truncatingIfNeeded: $0)) }
            }
        case 11:
            if let source {
                values = try decoded(source, width: 8) { Float(Double(bitPattern: $0)) }
            } else {
                guard t.doubleData.count == count else { throw mismatch(t.doubleData.count, "values") }
                values = t.doubleData.map { Float($0) }
            }
        case 7:
            if let source {
                values = try decoded(source, width: 8) { Float(Int64(bitPattern: $0)) }
            } else {
                guard t.int64Data.count == count else { throw mismatch(t.int64Data.count, "values") }
                values = t.int64Data.map { Float($0) }
            }
        case 6, 5, 3, 2, 4, 9:
            let width = [6: 4, 5: 2, 3: 1, 2: 1, 4: 2, 9: 1][Int(t.dataType)]!
            let signed = t.dataType == 6 || t.dataType == 5 || t.dataType == 3
            if let source {
                values = try decoded(source, width: width) { v in
                    guard signed else { return Float(v) }
                    let shift = UInt64(64 - 8 * width)
                    return Float(Int64(bitPattern: v << shift) >> Int64(shift))
                }
            } else {
                guard t.int32Data.count == count else { throw mismatch(t.int32Data.count, "values") }
                values = t.int32Data.map { Float($0) }
            }
        default:
            throw ModelError.badTensor(file: file, tensor: t.name, reason: "has ONNX data type \(t.dataType), which featmap cannot widen to float32; use float32 or float16 weights")
        }
        return Tensor(shape: shape, storage: values)
    }

    /// Where a tensor's raw little-endian bytes are: in a mapped file, or in a parsed message's raw_data.
    enum RawSource {
        case mapped(MappedBytes)
        case message(Data)

        var count: Int {
            switch self {
            case .mapped(let m): return m.range.count
            case .message(let d): return d.count
            }
        }

        func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            switch self {
            case .mapped(let m): return body(UnsafeRawBufferPointer(rebasing: m.file.bytes[m.range]))
            case .message(let d): return d.withUnsafeBytes(body)
            }
        }

        /// float32 data, copied once into the tensor's storage. From a mapping, in blocks whose pages are
        /// given back as soon as they are copied, so that the file's pages and the tensors are not both
        /// resident (VGG-11's first fully connected weight alone is 411 MB).
        func floats(count: Int) -> [Float] {
            guard count > 0 else { return [] }
            guard Int(1).littleEndian == 1 else {
                return decodeLittleEndian(count: count, width: 4) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            }
            return withBytes { raw in
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    let destination = UnsafeMutableRawPointer(out.baseAddress!), total = count * 4
                    let block = 8 << 20
                    var offset = 0
                    while offset < total {
                        let n = min(block, total - offset)
                        (destination + offset).copyMemory(from: raw.baseAddress! + offset, byteCount: n)
                        if case .mapped(let m) = self {
                            m.file.release((m.range.lowerBound + offset)..<(m.range.lowerBound + offset + n))
                        }
                        offset += n
                    }
                    initialized = count
                }
            }
        }

        /// Reads `count` little-endian unsigned integers of `width` bytes and maps each.
        func decodeLittleEndian(count: Int, width: Int, _ map: (UInt64) -> Float) -> [Float] {
            let out = withBytes { raw in
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    for i in 0..<count {
                        var v: UInt64 = 0
                        for b in 0..<width { v |= UInt64(raw[i * width + b]) << (8 * UInt64(b)) }
                        out[i] = map(v)
                    }
                    initialized = count
                }
            }
            if case .mapped(let m) = self { m.file.release(m.range) }
            return out
        }
    }

    static func attribute(_ a: Onnx_AttributeProto, node: String, file: String, external: ONNXExternalData? = nil) throws -> AttributeValue {
        switch a.type {
        case .int: return .int(Int(a.i))
        case .ints: return .ints(a.ints.map { Int($0) })
        case .float: return .float(a.f)
        case .floats: return .floats(a.floats)
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .tensor: return .tensor(try tensor(from: a.t, file: file, external: external))
        default:
            // Old files leave `type` unset; infer it from the field that is filled.
            if a.hasT { return .tensor(try tensor(from: a.t, file: file, external: external)) }
            if !a.ints.isEmpty { return .ints(a.ints.map { Int($0) }) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if !a.strings.isEmpty { return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) }) }
            if a.hasF { return .float(a.f) }
            if a.hasI { return .int(Int(a.i)) }
            return .ints([])
        }
    }
}

/// A byte range of a mapped file.
struct MappedBytes {
    let file: MappedFile
    let range: Range<Int>
}
