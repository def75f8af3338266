import Foundation
import SwiftProtobuf
import Testing
@testable import FeatMapKit

/// Issue 17's hostile models and inputs, run through the real binary: each is refused in one line on
/// standard error that names the file, with exit 1 (64 for a usage error), within a few seconds and a
/// bounded peak memory, and nothing is written. The files are made here: ONNX models with the
/// protobuf types featmap reads them with, and containers and images byte by byte; the big ones are
/// sparse files or headers that only declare their size. (External data leaving the model's folder is
/// in ExternalDataTests; a header over --max-pixels at the default limit in BadInputTests.)
@Suite struct HostileInputTests {
    /// A run of the binary under GNU time: its result, wall time, processor time (user and system) and
    /// peak resident memory. The time limits below hold the processor time to 10 s, which other tests
    /// running beside this one cannot inflate, and the wall time to 30 s, where a hang is killed.
    struct Measured {
        var result: CLIResult
        var seconds: Double
        var cpuSeconds: Double
        var peakKB: Int
        var withinLimits: Bool { cpuSeconds < 10 && seconds < 30 && peakKB > 0 && peakKB < 1_000_000 }
    }

    /// FEATMAP_HOSTILE_BINARY runs another build (an older one, to see what it did).
    static let binary = ProcessInfo.processInfo.environment["FEATMAP_HOSTILE_BINARY"] ?? CLI.binary.path

    static func measured(_ arguments: [String], in dir: URL) throws -> Measured {
        let rss = dir.appendingPathComponent(".peak-rss")
        let start = Date()
        // coreutils' timeout, inside time so that the peak still counts featmap, ends a hang after 30 s.
        let result = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/time"),
                                 ["-f", "%M %U %S", "-o", rss.path, "--", "/usr/bin/timeout", "-s", "KILL", "30", binary] + arguments,
                                 in: dir)
        let seconds = Date().timeIntervalSince(start)
        // GNU time adds "Command exited with non-zero status N" before the number.
        let text = (try? String(contentsOf: rss, encoding: .utf8)) ?? ""
        let fields = text.split(separator: "\n").last.map { $0.split(separator: " ").map(String.init) } ?? []
        try? FileManager.default.removeItem(at: rss)
        return Measured(result: result, seconds: seconds, cpuSeconds: fields.count == 3 ? (Double(fields[1]) ?? 99) + (Double(fields[2]) ?? 99) : 99,
                        peakKB: fields.first.flatMap { Int($0) } ?? -1)
    }

    /// Runs `arguments` in a fresh folder holding `files` and checks the refusal: the exit status, one
    /// line naming `file` and containing each of `says`, within `Measured`'s limits, nothing new in the folder.
    @discardableResult
    static func refused(_ arguments: [String], in dir: URL, status: Int32 = 1, file: String?, says: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Measured {
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let m = try measured(arguments, in: dir)
        let r = m.result
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(r.status == status, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        if let file { #expect(r.stderr.contains(file), "does not name \(file): \(r.stderr)", sourceLocation: sourceLocation) }
        for s in says { #expect(r.stderr.contains(s), "missing '\(s)' in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(r.stdout.isEmpty, "stdout: \(r.stdoutText.prefix(300))", sourceLocation: sourceLocation)
        #expect(m.withinLimits, "\(m.cpuSeconds) s of processor time, \(m.seconds) s, peak RSS \(m.peakKB) kB", sourceLocation: sourceLocation)
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(after == before, "written: \(after.subtracting(before).sorted())", sourceLocation: sourceLocation)
        return m
    }

    // MARK: ONNX models built here

    static func tensor(_ name: String, _ dims: [Int], floats: [Float]? = nil, int64s: [Int64]? = nil) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map { Int64($0) }
        if let int64s {
            t.dataType = 7
            t.int64Data = int64s
        } else {
            t.dataType = 1
            let values = floats ?? [Float](repeating: 0.5, count: dims.reduce(1, *))
            t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        }
        return t
    }

    static func value(_ name: String, _ dims: [Int]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = 1
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in var dim = Onnx_TensorShapeProto.Dimension(); dim.dimValue = Int64(d); return dim }
        tt.shape = shape
        v.type.tensorType = tt
        return v
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], ints: [String: [Int]] = [:],
                     int: [String: Int] = [:], strings: [String: String] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        for (k, v) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .ints; a.ints = v.map { Int64($0) }; n.attribute.append(a)
        }
        for (k, v) in int.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .int; a.i = Int64(v); n.attribute.append(a)
        }
        for (k, v) in strings.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .string; a.s = Data(v.utf8); n.attribute.append(a)
        }
        return n
    }

    /// A model with data input x of `input` shape, opset 13, written as `name` into `dir`.
    static func model(_ name: String, in dir: URL, input: [Int] = [1, 1, 8, 8], nodes: [Onnx_NodeProto],
                      initializers: [Onnx_TensorProto] = [], extraInputs: [Onnx_ValueInfoProto] = [],
                      outputs: [String]? = nil) throws -> String {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var opset = Onnx_OperatorSetIdProto(); opset.version = 13
        m.opsetImport = [opset]
        m.graph.name = "hostile"
        m.graph.node = nodes
        m.graph.initializer = initializers
        m.graph.input = [value("x", input)] + extraInputs
        m.graph.output = (outputs ?? [nodes.last!.output[0]]).map { value($0, []) }
        let url = dir.appendingPathComponent(name)
        try m.serializedData().write(to: url)
        return url.path
    }

    /// An 8×8 single-channel NPY input for the models above.
    static func input(in dir: URL, shape: [Int] = [1, 1, 8, 8]) throws -> String {
        let url = dir.appendingPathComponent("x.npy")
        try Data(NPY.encode(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 % 7) })).write(to: url)
        return url.path
    }

    /// The three commands that load and run a model; `layers` with an output folder that must stay unmade.
    static func modelCommands(_ model: String, _ x: String) -> [[String]] {
        [["info", model], ["predict", model, x], ["layers", model, x, "--npy", "--no-images", "-o", "out"]]
    }

    // MARK: weights and shapes

    @Test func weightsShorterThanTheirShape() throws {
        let dir = try CLI.temporaryDirectory()
        var w = Self.tensor("w", [2, 1, 3, 3])
        w.rawData = w.rawData.prefix(40)
        let model = try Self.model("short.onnx", in: dir, nodes: [Self.node("Conv", ["x", "w"], ["y"])], initializers: [w])
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x) {
            try Self.refused(command, in: dir, file: model, says: ["tensor 'w'", "has 40 bytes for shape [2, 1, 3, 3] (18 values)"])
        }
    }

    @Test func shapeWhoseElementCountOverflows() throws {
        let dir = try CLI.temporaryDirectory()
        var w = Self.tensor("w", [1, 1, 1, 1])
        w.dims = [1 << 40, 1 << 40, 1, 1]
        let model = try Self.model("overflow.onnx", in: dir, nodes: [Self.node("Conv", ["x", "w"], ["y"])], initializers: [w])
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x) {
            try Self.refused(command, in: dir, file: model, says: ["tensor 'w'", "too large to be real"])
        }
    }

    /// Nodes whose outputs would be far over `--max-memory 64M`: refused from their shapes, before a byte
    /// is allocated, whether they sit on the data path or compute a constant from the file's tensors.
    /// (Computed, not a stored static: LeakSanitizer cannot see the protobuf tensors' Data held in a
    /// static's enum-packed storage and reports it as a leak under .ci/sanitize.)
    static var oversized: [(String, [Onnx_NodeProto], [Onnx_TensorProto])] { [
        ("expand", [node("Expand", ["x", "s"], ["y"])], [tensor("s", [4], int64s: [1, 1_000_000, 8, 8])]),
        ("expand-constant", [node("Expand", ["c", "s"], ["e"]), node("Add", ["x", "e"], ["y"])],
         [tensor("c", [1, 1, 1, 1]), tensor("s", [4], int64s: [1, 1, 100_000, 100_000])]),
        ("tile", [node("Tile", ["x", "r"], ["y"])], [tensor("r", [4], int64s: [1, 1000, 1000, 1])]),
        ("tile-constant", [node("Tile", ["c", "r"], ["e"]), node("Add", ["x", "e"], ["y"])],
         [tensor("c", [1, 1, 8, 8]), tensor("r", [4], int64s: [1, 1000, 1000, 1])]),
        ("constantofshape", [node("ConstantOfShape", ["s"], ["e"]), node("Add", ["x", "e"], ["y"])],
         [tensor("s", [4], int64s: [1, 1, 100_000, 100_000])]),
        ("constantofshape-from-input", [node("Shape", ["x"], ["xs"]), node("Mul", ["xs", "k"], ["big"]),
                                        node("ConstantOfShape", ["big"], ["e"]), node("Add", ["x", "e"], ["y"])],
         [tensor("k", [4], int64s: [1, 1, 20_000, 20_000])]),
        ("resize", [node("Resize", ["x", "", "sc"], ["y"])], [tensor("sc", [4], floats: [1, 1, 10_000, 10_000])]),
    ] }

    @Test(arguments: oversized.map(\.0))
    func outputOverTheMemoryLimitIsRefusedFromItsShape(_ name: String) throws {
        let (_, nodes, initializers) = Self.oversized.first { $0.0 == name }!
        let dir = try CLI.temporaryDirectory()
        let model = try Self.model("\(name).onnx", in: dir, nodes: nodes, initializers: initializers)
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x).dropFirst() {
            try Self.refused(command + ["--max-memory", "64M"], in: dir, file: nil, says: ["--max-memory"])
        }
    }

    /// The "1×1 convolution to millions of channels": 2,000,000 output channels on 8×8 need 512 MB
    /// (488.3 MiB); the 8 MB weight is read, the output never allocated.
    @Test func convolutionToMillionsOfChannels() throws {
        let dir = try CLI.temporaryDirectory()
        let w = Self.tensor("w", [2_000_000, 1, 1, 1])
        let model = try Self.model("wide.onnx", in: dir, nodes: [Self.node("Conv", ["x", "w"], ["y"])], initializers: [w])
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x).dropFirst() {
            try Self.refused(command + ["--max-memory", "256M"], in: dir, file: nil, says: ["needs 488.3 MiB", "more than --max-memory 256.0 MiB"])
        }
    }

    @Test func reshapeToAnImpossibleShapeFailsTheNode() throws {
        let dir = try CLI.temporaryDirectory()
        let model = try Self.model("reshape.onnx", in: dir, nodes: [Self.node("Reshape", ["x", "t"], ["y"])],
                                   initializers: [Self.tensor("t", [3], int64s: [1_000_000, 1_000_000, 1_000_000])])
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x).dropFirst() {
            try Self.refused(command, in: dir, file: nil, says: ["Reshape"])
        }
    }

    // MARK: graph structure

    @Test func cycle() throws {
        let dir = try CLI.temporaryDirectory()
        let model = try Self.model("cycle.onnx", in: dir, nodes: [Self.node("Add", ["x", "b"], ["a"]), Self.node("Relu", ["a"], ["b"])])
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x) {
            try Self.refused(command, in: dir, file: model, says: ["cycle through tensor", "acyclic"])
        }
    }

    static func chain(_ count: Int, last: String = "v0") -> [Onnx_NodeProto] {
        var nodes = [node("Relu", ["x"], ["v0"])]
        nodes.reserveCapacity(count)
        for i in 1..<count { nodes.append(node("Relu", [i == count - 1 ? last : "v\(i - 1)"], ["v\(i)"])) }
        return nodes + [node("Flatten", ["v\(count - 1)"], ["y"])]
    }

    /// 100,000 nodes in a chain (and a Flatten, so that predict has scores) are sorted, prepared and run
    /// without deep recursion, in a few seconds;
    /// the same chain with its last node reading a tensor nobody makes is refused, naming that tensor.
    @Test func chainOfAHundredThousandNodes() throws {
        let dir = try CLI.temporaryDirectory()
        let model = try Self.model("chain.onnx", in: dir, nodes: Self.chain(100_000, last: "v99998"))
        let x = try Self.input(in: dir)
        let m = try Self.measured(["predict", model, x], in: dir)
        #expect(m.result.status == 0, "\(m.result.stderr)")
        #expect(m.withinLimits, "\(m.cpuSeconds) s of processor time, \(m.seconds) s, \(m.peakKB) kB")
        let broken = try Self.model("broken.onnx", in: dir, nodes: Self.chain(100_000, last: "nowhere"))
        for command in Self.modelCommands(broken, x) {
            try Self.refused(command, in: dir, file: broken, says: ["needs tensor 'nowhere'"])
        }
    }

    @Test func tenThousandGraphInputs() throws {
        let dir = try CLI.temporaryDirectory()
        let extra = (1..<10_000).map { Self.value("x\($0)", [1, 1, 8, 8]) }
        let nodes = [Self.node("Sum", ["x"] + (1..<10_000).map { "x\($0)" }, ["y"])]
        let model = try Self.model("inputs.onnx", in: dir, nodes: nodes, extraInputs: extra)
        let x = try Self.input(in: dir)
        for command in Self.modelCommands(model, x) {
            try Self.refused(command, in: dir, file: model, says: ["10000 data inputs", "one data input"])
        }
    }

    // MARK: safetensors and .weights

    /// 8-byte little-endian length, then `header`, then `rest` bytes; `sparseTo` extends the file with a hole.
    static func safetensors(_ name: String, in dir: URL, length: UInt64? = nil, header: String, sparseTo size: UInt64? = nil) throws -> String {
        var data = Data()
        var n = (length ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        if let size { #expect(truncate(url.path, off_t(size)) == 0) }
        return url.path
    }

    @Test func safetensorsHeaderPastTheEnd() throws {
        let dir = try CLI.temporaryDirectory()
        let file = try Self.safetensors("past.weights", in: dir, length: 1 << 20, header: "{\"w\": {}}")
        try Self.refused(["info", file], in: dir, file: file, says: ["header length (1048576 bytes) runs past the end"])
        let far = try Self.safetensors("far.weights", in: dir, length: UInt64(1) << 62, header: "{\"w\": {}}")
        try Self.refused(["info", far], in: dir, file: far, says: ["runs past the end"])
    }

    @Test func safetensorsHeaderOverAHundredMegabytes() throws {
        let dir = try CLI.temporaryDirectory()
        let file = try Self.safetensors("big.weights", in: dir, length: 150_000_000, header: "{", sparseTo: 150_000_100)
        try Self.refused(["info", file], in: dir, file: file, says: ["150000000", "100 MB"])
    }

    @Test func jsonNestedAHundredThousandDeep() throws {
        let dir = try CLI.temporaryDirectory()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let header = try Self.safetensors("deep-header.weights", in: dir, header: "{\"w\": \(deep)}")
        try Self.refused(["info", header], in: dir, file: header, says: ["JSON"])
        // The architecture inside __metadata__, a string holding JSON nested as deep.
        let escaped = String(data: try JSONSerialization.data(withJSONObject: ["featmap.architecture": deep]), encoding: .utf8)!
        let arch = try Self.safetensors("deep-arch.weights", in: dir, header: "{\"__metadata__\": \(escaped)}")
        try Self.refused(["info", arch], in: dir, file: arch, says: ["featmap.architecture", "JSON"])
    }

    // MARK: NPY

    static func npy(_ dict: String, in dir: URL, name: String) throws -> String {
        var body = dict
        while (body.utf8.count + 11) % 64 != 0 { body += " " }
        body += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(body.utf8.count & 0xFF), UInt8(body.utf8.count >> 8)]
        bytes += Array(body.utf8) + [UInt8](repeating: 0, count: 256)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test(arguments: [("(1099511627776, 1099511627776)", "impossible"), ("(1000000, 1000000, 1000)", "needs 4000000000000000 bytes"),
                      ("(-1, 8)", "negative"), ("(2.5, 8)", "not a whole number")])
    func npyHeaderShape(_ shape: String, _ says: String) throws {
        let dir = try CLI.temporaryDirectory()
        let model = try Self.model("relu.onnx", in: dir, nodes: [Self.node("Relu", ["x"], ["y"])])
        let x = try Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }", in: dir, name: "bad.npy")
        for command in Self.modelCommands(model, x).dropFirst() {
            try Self.refused(command, in: dir, file: x, says: [says])
        }
    }

    // MARK: kernel files

    static let picture = CLI.fixture("tiny4x4.png").path

    @Test func kernelWithABillionColumns() throws {
        let dir = try CLI.temporaryDirectory()
        // One line of "1 " a billion times is 2 GB: the file starts so and is extended with a hole.
        let url = dir.appendingPathComponent("wide.txt")
        try Data(String(repeating: "1 ", count: 4096).utf8).write(to: url)
        #expect(truncate(url.path, 2_000_000_000) == 0)
        try Self.refused(["apply", url.path, Self.picture, "-o", "o.png"], in: dir, file: url.path, says: ["MB"])
        // A line of two million columns, really written, and a .mat header that declares a billion.
        let real = dir.appendingPathComponent("real.txt")
        try Data(String(repeating: "1 ", count: 2_000_000).utf8).write(to: real)
        try Self.refused(["apply", real.path, Self.picture, "-o", "o.png"], in: dir, file: real.path, says: ["line 1", "1025"])
        let mat = dir.appendingPathComponent("wide.mat")
        try Data("1000000000 1\n1 1 1\n".utf8).write(to: mat)
        try Self.refused(["apply", mat.path, Self.picture, "-o", "o.png"], in: dir, file: mat.path, says: ["line 1", "1025"])
    }

    @Test func kernelWithTenThousandRows() throws {
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("tall.txt")
        try Data(String(repeating: "1\n", count: 10_000).utf8).write(to: url)
        try Self.refused(["apply", url.path, Self.picture, "-o", "o.png"], in: dir, file: url.path, says: ["line 1026", "1025"])
        try Self.refused(["kernels", "show", url.path], in: dir, file: url.path, says: ["line 1026", "1025"])
        let mat = dir.appendingPathComponent("tall.mat")
        try Data("1 10000\n".utf8 + Data(String(repeating: "1\n", count: 10_000).utf8)).write(to: mat)
        try Self.refused(["apply", mat.path, Self.picture, "-o", "o.png"], in: dir, file: mat.path, says: ["line 1", "1025"])
    }

    // MARK: images

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 != 0 ? 0xEDB8_8320 : 0) }
        }
        return ~c
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ body: [UInt8], declared: UInt32? = nil) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return be32(declared ?? UInt32(body.count)) + typed + be32(crc(typed))
    }

    /// A 4×4 greyscale PNG with `extra` chunks before its IDAT.
    static func png(_ extra: [UInt8], width: UInt32 = 4, height: UInt32 = 4) -> [UInt8] {
        let ihdr = be32(width) + be32(height) + [8, 0, 0, 0, 0]
        // Deflate "stored" block of four filtered rows of four zero pixels, in a zlib stream.
        let raw = [UInt8](repeating: 0, count: 20)
        var adler = (a: UInt32(1), b: UInt32(0))
        for v in raw { adler.a = (adler.a + UInt32(v)) % 65521; adler.b = (adler.b + adler.a) % 65521 }
        let idat: [UInt8] = [0x78, 0x01, 1, 20, 0, 0xEB, 0xFF] + raw + be32(adler.b << 16 | adler.a)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + extra + chunk("IDAT", idat) + chunk("IEND", [])
    }

    @Test func pngTestImageDecodes() throws {
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("plain.png")
        try Data(Self.png([])).write(to: url)
        let r = try CLI.run(["apply", "sobel", url.path, "-o", dir.appendingPathComponent("o.png").path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func pngHeaderOverMaxPixels() throws {
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("wide.png")
        try Data(Self.png([], width: 100_000, height: 100_000)).write(to: url)
        try Self.refused(["apply", "sobel", url.path, "-o", "o.png", "--max-pixels", "1000000"], in: dir, file: url.path,
                         says: ["100000×100000", "--max-pixels 10000000000"])
    }

    /// Chunks that declare 2 GB − 1 and then the file ends; and ones that are whole but inflate far:
    /// a 2 MB zTXt and iCCP holding 1 GB of zeros once inflated.
    @Test(arguments: ["iCCP", "zTXt"])
    func pngWithAHugeAncillaryChunk(_ type: String) throws {
        let dir = try CLI.temporaryDirectory()
        let declared = dir.appendingPathComponent("declared-\(type).png")
        var bytes = Array(Self.png([]).prefix(33))
        bytes += Self.be32(0x7FFF_FFFF)
        bytes += Array(type.utf8)
        bytes += [UInt8](repeating: 0, count: 64)
        try Data(bytes).write(to: declared)
        try Self.refused(["apply", "sobel", declared.path, "-o", "o.png"], in: dir, file: declared.path, says: [type])
        // A zlib stream of 1 GB of zeros: fixed-Huffman blocks of maximal runs.
        let bomb = try Self.zeros(inflatingTo: 1 << 30)
        let body = Array("name".utf8) + [0, 0] + bomb
        let inflating = dir.appendingPathComponent("bomb-\(type).png")
        try Data(Self.png(Self.chunk(type, body))).write(to: inflating)
        let m = try Self.measured(["apply", "sobel", inflating.path, "-o", "o.png"], in: dir)
        // The image itself is fine: featmap either reads it (ignoring the chunk) or refuses it in one line.
        #expect(m.result.status == 0 || m.result.stderr.split(separator: "\n").count == 1, "\(m.result.stderr)")
        #expect(m.withinLimits, "\(m.cpuSeconds) s of processor time, \(m.seconds) s, \(m.peakKB) kB")
    }

    /// zlib's own deflate of `count` zeros (about count/1000 bytes).
    static func zeros(inflatingTo count: Int) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sys, zlib\nc = zlib.compressobj(9)\nz = b'\\0' * (1 << 20)\nsys.stdout.buffer.write(b''.join(c.compress(z) for _ in range(\(count >> 20))) + c.flush())"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0 && !data.isEmpty)
        return Array(data)
    }

    /// JPEG's APP1 segments are at most 64 KB each: "huge" EXIF is a segment that declares 64 KB and the
    /// file ends, and 500 maximal APP1 segments (32 MB) before the image.
    @Test func jpegWithHugeExif() throws {
        let dir = try CLI.temporaryDirectory()
        let good = try [UInt8](Data(contentsOf: CLI.fixture("ok/photo.jpg")))
        let declared = dir.appendingPathComponent("declared.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF] + Array("Exif".utf8) + [0, 0] + [UInt8](repeating: 0x4D, count: 100)).write(to: declared)
        try Self.refused(["apply", "sobel", declared.path, "-o", "o.jpg"], in: dir, file: declared.path, says: [])
        var many: [UInt8] = [0xFF, 0xD8]
        let segment: [UInt8] = [0xFF, 0xE1, 0xFF, 0xFF] + Array("Exif".utf8) + [0, 0] + [UInt8](repeating: 0, count: 0xFFFF - 8)
        for _ in 0..<500 { many += segment }
        many += good.dropFirst(2)
        let url = dir.appendingPathComponent("many.jpg")
        try Data(many).write(to: url)
        let m = try Self.measured(["apply", "sobel", url.path, "-o", "o.png"], in: dir)
        #expect(m.result.status == 0 || m.result.stderr.split(separator: "\n").count == 1, "\(m.result.stderr)")
        #expect(m.withinLimits, "\(m.cpuSeconds) s of processor time, \(m.seconds) s, \(m.peakKB) kB")
    }
}
