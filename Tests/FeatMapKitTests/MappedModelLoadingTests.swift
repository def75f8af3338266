import Foundation
import SwiftProtobuf
import Testing
@testable import FeatMapKit

/// The mapped ONNX path (MappedFile + ONNXInitializerScan: initializers filled straight from the file's
/// pages) against the plain path (SwiftProtobuf parses everything): the same tensors, bit for bit, on a
/// model holding every kind of initializer, on truncated copies of it, and when the scan disagrees with
/// the parsed message.
@Suite struct MappedModelLoadingTests {
    /// A Conv → Relu → Flatten → Gemm model whose initializers cover the storage forms: float32 raw_data
    /// (the conv weight, 8 MB so that it spans many copy blocks), float32 float_data, float16 raw_data
    /// with dims given packed and unpacked, float16 int32_data, int64 raw_data (a Reshape shape), double
    /// raw_data; a Constant node with a raw tensor; metadata.
    static func model() throws -> Data {
        var rng = SystemRandomNumberGenerator()
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -1...1, using: &rng) } }
        func raw<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }
        func tensor(_ name: String, _ dims: [Int64], _ type: Int32, _ fill: (inout Onnx_TensorProto) -> Void) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name; t.dims = dims; t.dataType = type
            fill(&t)
            return t
        }
        let cout = 512, cin = 4  // 512·4·32·32 floats = 8 MB
        let convW = tensor("conv.w", [Int64(cout), Int64(cin), 32, 32], 1) { $0.rawData = raw(random(cout * cin * 32 * 32)) }
        let convB = tensor("conv.b", [Int64(cout)], 1) { $0.floatData = random(cout) }
        let gemmW = tensor("fc.w", [3, Int64(cout)], 10) {
            $0.rawData = raw(random(3 * cout).map { HalfPrecision.bits(from: $0) })
        }
        let gemmB = tensor("fc.b", [3], 10) { $0.int32Data = [0x3800, 0xC000, 0x7BFF] }
        let shape = tensor("shape", [2], 7) { $0.rawData = raw([Int64(1), -1]) }
        let scale = tensor("scale", [1], 11) { $0.rawData = raw([0.5]) }
        // An initializer of no elements, with an empty raw_data (present, zero bytes).
        let none = tensor("none", [0], 1) { $0.rawData = Data() }
        var graph = Onnx_GraphProto()
        graph.name = "mapped"
        graph.initializer = [convW, convB, gemmB, shape, scale, none]
        func node(_ op: String, _ inputs: [String], _ output: String) -> Onnx_NodeProto {
            var n = Onnx_NodeProto()
            n.opType = op; n.name = output; n.input = inputs; n.output = [output]
            return n
        }
        var constant = node("Constant", [], "offset")
        var value = Onnx_AttributeProto()
        value.name = "value"; value.type = .tensor
        value.t = tensor("", [1], 1) { $0.rawData = raw([Float(0.25)]) }
        constant.attribute = [value]
        graph.node = [node("Conv", ["x", "conv.w", "conv.b"], "conv"), node("Relu", ["conv"], "relu"),
                      node("Reshape", ["relu", "shape"], "flat"), node("Gemm", ["flat", "fc.w", "fc.b"], "fc"), constant,
                      node("Add", ["fc", "offset"], "shifted"), node("Mul", ["shifted", "scale"], "y")]
        graph.node[3].attribute = [{ var a = Onnx_AttributeProto(); a.name = "transB"; a.type = .int; a.i = 1; return a }()]
        var x = Onnx_ValueInfoProto()
        x.name = "x"
        x.type.tensorType.elemType = 1
        x.type.tensorType.shape.dim = [1, 4, 32, 32].map { var d = Onnx_TensorShapeProto.Dimension(); d.dimValue = Int64($0); return d }
        graph.input = [x]
        var y = Onnx_ValueInfoProto()
        y.name = "y"
        graph.output = [y]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 13
        model.opsetImport = [opset]
        model.producerName = "MappedModelLoadingTests"
        // fc.w, last, with its dims as one varint field each (SwiftProtobuf writes them packed): the graph
        // and model are assembled by hand around it (protobuf appends a repeated field's occurrences).
        var dimsless = gemmW
        dimsless.dims = []
        var fc: [UInt8] = Array(try dimsless.serializedBytes() as Data)
        for d in gemmW.dims { fc += [0x08] + varint(UInt64(bitPattern: d)) }
        let graphBytes: [UInt8] = Array(try graph.serializedBytes() as Data) + [0x2A] + varint(UInt64(fc.count)) + fc
        let modelBytes: [UInt8] = Array(try model.serializedBytes() as Data) + [0x3A] + varint(UInt64(graphBytes.count)) + graphBytes
        return Data(modelBytes)
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    static func write(_ data: Data, name: String = "model.onnx") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-mapped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    static func sameWeights(_ a: Model, _ b: Model, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.graph.weights.keys.sorted() == b.graph.weights.keys.sorted(), sourceLocation: sourceLocation)
        for (k, t) in a.graph.weights {
            let u = b.graph.weights[k]
            #expect(t.shape == u?.shape, "\(k)", sourceLocation: sourceLocation)
            // Bit for bit: both paths decode the same bytes.
            #expect(t.storage.map(\.bitPattern) == u?.storage.map(\.bitPattern), "\(k)", sourceLocation: sourceLocation)
        }
        #expect(a.graph.nodes.count == b.graph.nodes.count, sourceLocation: sourceLocation)
    }

    @Test func mappedPathMatchesPlainPath() throws {
        let data = try Self.model()
        let url = try Self.write(data)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let mapped = try MappedFile(path: url.path)
        let (proto, scan) = try #require(ONNXReader.parseStripped(mapped))
        #expect(scan.initializers.map(\.name) == ["conv.w", "conv.b", "fc.b", "shape", "scale", "none", "fc.w"])
        #expect(scan.initializers[6].dims == [3, 512])              // from the unpacked form
        #expect(proto.graph.initializer[6].dims == [3, 512])
        #expect(scan.initializers[5].rawData?.isEmpty == true)
        #expect(scan.initializers[1].rawData == nil)                 // float_data, not raw
        #expect(proto.graph.initializer.allSatisfy { !$0.hasRawData })
        // The stripped copy is the model without its 8 MB of weights.
        #expect(scan.stripped.count < 4096, "stripped: \(scan.stripped.count) bytes")
        let plain = try ONNXReader.read(data, file: url.path, name: "model")
        let viaLoad = try Model.load(contentsOf: url)
        Self.sameWeights(viaLoad, plain)
        // Hand-checked values: float16 int32_data and double raw_data.
        #expect(plain.graph.weights["fc.b"]?.storage == [0.5, -2, 65504])
        #expect(plain.graph.weights["scale"]?.storage == [0.5])
        #expect(plain.graph.weights["shape"]?.storage == [1, -1])
        #expect(viaLoad.graph.weights["none"]?.shape == [0])
        // And the forward pass of both agrees.
        let x = Tensor(shape: [1, 4, 32, 32], storage: (0..<4096).map { Float($0 % 17) / 17 })
        let a = try #require(viaLoad.graph.forward(x).output), b = try #require(plain.graph.forward(x).output)
        #expect(a.shape == [1, 3] && a.storage == b.storage)
    }

    @Test func scanThatDisagreesFallsBackToThePlainPath() throws {
        let data = try Self.model()
        let url = try Self.write(data)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let mapped = try MappedFile(path: url.path)
        let good = try #require(ONNXInitializerScan(mapped.bytes))
        let plain = try ONNXReader.read(data, file: url.path, name: "model")
        // Each tampering makes the scan disagree with the message parsed from its own stripped bytes.
        var renamed = good; renamed.initializers[0].name = "other"
        var reshaped = good; reshaped.initializers[6].dims = [512, 3]
        var retyped = good; retyped.initializers[3].dataType = 1
        var dropped = good; dropped.initializers.removeLast()
        // raw_data left in the stripped bytes: the parsed tensor has raw data of its own.
        var unstripped = good; unstripped.stripped = Array(data)
        for scan in [renamed, reshaped, retyped, dropped, unstripped] {
            #expect(ONNXReader.parseStripped(mapped, scan: scan) == nil)
            let model = try ONNXReader.read(mapped: mapped, file: url.path, name: "model", scan: scan)
            Self.sameWeights(model, plain)
        }
    }

    /// Every cut of the model (many lengths, and around each field boundary of the first tensor) is read
    /// the same way by both paths: the same error, or (a cut at a field boundary can be a valid message)
    /// the same model. Never a crash.
    @Test func truncatedCopiesFailLikeThePlainPath() throws {
        let data = try Self.model()
        var cuts = Set(stride(from: 1, to: data.count, by: max(1, data.count / 97)))
        cuts.formUnion(1..<min(300, data.count))
        cuts.formUnion((data.count - 64)..<data.count)
        let url = try Self.write(Data())
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        for n in cuts.sorted() {
            let prefix = data.prefix(n)
            try prefix.write(to: url)
            let plain = Result { try ONNXReader.read(prefix, file: url.path, name: "model") }
            let mapped = Result { try Model.load(contentsOf: url) }
            switch (plain, mapped) {
            case (.success(let p), .success(let m)):
                Self.sameWeights(m, p)
            case (.failure(let p), .failure(let m)):
                #expect("\(m)" == "\(p)", "cut at \(n)")
                #expect(m is ModelError, "cut at \(n): \(m)")
            default:
                Issue.record("cut at \(n): plain \(plain), mapped \(mapped)")
            }
        }
    }

    @Test func mappingIsReleasedWithItsLastReference() throws {
        let url = try Self.write(try Self.model(), name: "released-\(UUID().uuidString).onnx")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        // Read to the end: Foundation's String(contentsOfFile:) and Data(contentsOf:) stop after the first
        // 4 KiB of a /proc file (its size reads as 0), and the mapping was often past that.
        func mapsFile() throws -> Bool {
            let maps = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
            defer { try? maps.close() }
            return String(decoding: try maps.readToEnd() ?? Data(), as: UTF8.self).contains(url.lastPathComponent)
        }
        do {
            let file = try MappedFile(path: url.path)
            let data = file.data
            #expect(try mapsFile())
            #expect(data.count == file.bytes.count)
        }
        #expect(try !mapsFile())
        // Model.load keeps nothing mapped once the tensors are filled.
        _ = try Model.load(contentsOf: url)
        #expect(try !mapsFile())
    }

    @Test func unmappableFilesAreRefusedInOneLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-mapped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.unreadable(file: dir.path, reason: "is a directory; give an ONNX model (.onnx) or a featmap .weights file")) {
            try MappedFile(path: dir.path)
        }
        let missing = dir.appendingPathComponent("none.onnx").path
        #expect(throws: ModelError.unreadable(file: missing, reason: "cannot be opened (no such file); check the path")) {
            try MappedFile(path: missing)
        }
    }
}
