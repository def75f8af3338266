/// A small reader of the protobuf wire format that walks an ONNX file's ModelProto → graph (field 7) →
/// initializer (field 5) TensorProtos and records, for each initializer, its name (8), dims (1), data_type
/// (2) and where its raw_data (9) lies in the file; and writes the model's bytes again with every
/// initializer's raw_data left out (the enclosing lengths rewritten).
///
/// Why: SwiftProtobuf copies every `bytes` field into a `Data` of its own, so a parse of VGG-11 holds its
/// 531 MB of weights twice (in the messages, then as float tensors) besides the file. Parsing the stripped
/// bytes (a few kB) gives the graph, and the tensors are filled straight from the mapped file.
///
/// The scan follows protobuf's rules where they matter here (a repeated field's occurrences are
/// concatenated, packed or not; the last occurrence of a singular field wins; a message field given twice
/// is merged); anything it does not expect (a group, a known field with another wire type, a length past
/// its message) makes it give up (nil), and the reader then parses the file as it is.
struct ONNXInitializerScan {
    struct Initializer: Equatable {
        var name = ""
        var dims: [Int64] = []
        var dataType: Int32 = 0
        /// The byte range of raw_data within the scanned bytes; nil when the tensor has none.
        var rawData: Range<Int>?
    }

    var initializers: [Initializer] = []
    /// The model with every initializer's raw_data left out.
    var stripped: [UInt8] = []

    init?(_ bytes: UnsafeRawBufferPointer) {
        var found: [Initializer] = []
        // ModelProto.graph (7) → GraphProto.initializer (5) → TensorProto.
        guard let model = Self.copy(bytes, 0..<bytes.count, replacing: 7, with: { graph in
            Self.copy(bytes, graph, replacing: 5) { Self.scanTensor(bytes, $0, into: &found) }
        }) else { return nil }
        initializers = found
        stripped = model
    }

    /// Whether the message parsed from `stripped` holds the initializers the scan found, in order, with
    /// no raw_data of their own.
    func agrees(with parsed: [Onnx_TensorProto]) -> Bool {
        guard parsed.count == initializers.count else { return false }
        return zip(parsed, initializers).allSatisfy { p, s in
            p.name == s.name && p.dims == s.dims && p.dataType == s.dataType && !p.hasRawData
        }
    }

    /// The message in `range` field by field, each length-delimited field `number` replaced by what
    /// `rewrite` makes of its value; nil when the message or a rewrite is malformed.
    private static func copy(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, replacing number: UInt64,
                             with rewrite: (Range<Int>) -> [UInt8]?) -> [UInt8]? {
        var reader = WireReader(bytes: bytes, range: range)
        var out: [UInt8] = []
        while !reader.atEnd {
            guard let f = reader.field() else { return nil }
            if f.number == number {
                guard f.wire == 2, let value = rewrite(f.value) else { return nil }
                appendVarint(number << 3 | 2, to: &out)
                appendVarint(UInt64(value.count), to: &out)
                out.append(contentsOf: value)
            } else {
                out.append(contentsOf: bytes[f.whole])
            }
        }
        return out
    }

    /// One initializer: its record appended to `found`, its bytes returned without raw_data.
    private static func scanTensor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, into found: inout [Initializer]) -> [UInt8]? {
        var reader = WireReader(bytes: bytes, range: range)
        var out: [UInt8] = [], t = Initializer()
        while !reader.atEnd {
            guard let f = reader.field() else { return nil }
            switch (f.number, f.wire) {
            case (1, 0):
                t.dims.append(Int64(bitPattern: f.varint))
            case (1, 2):
                var packed = WireReader(bytes: bytes, range: f.value)
                while !packed.atEnd {
                    guard let v = packed.varint() else { return nil }
                    t.dims.append(Int64(bitPattern: v))
                }
            case (2, 0):
                t.dataType = Int32(truncatingIfNeeded: f.varint)
            case (8, 2):
                t.name = String(decoding: bytes[f.value], as: UTF8.self)
            case (9, 2):
                t.rawData = f.value
                continue   // left out of the stripped copy
            case (1, _), (2, _), (8, _), (9, _):
                return nil
            default:
                break
            }
            out.append(contentsOf: bytes[f.whole])
        }
        found.append(t)
        return out
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }
}

/// Fields of one protobuf message, in order, bounds-checked against the message's range.
private struct WireReader {
    struct Field {
        var number: UInt64
        var wire: UInt8
        /// The value: a varint's decoded value (wire type 0) …
        var varint: UInt64
        /// … and the bytes of a length-delimited value (wire type 2; for other types, the value's bytes).
        var value: Range<Int>
        /// Tag and value, as they appear.
        var whole: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes; position = range.lowerBound; end = range.upperBound
    }

    var atEnd: Bool { position >= end }

    mutating func varint() -> UInt64? {
        var result: UInt64 = 0, shift: UInt64 = 0
        while position < end, shift < 64 {
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    mutating func field() -> Field? {
        let start = position
        guard let tag = varint(), tag >> 3 != 0, tag >> 3 <= UInt64(Int32.max) else { return nil }
        let wire = UInt8(tag & 7)
        var value: UInt64 = 0
        let valueStart: Int
        switch wire {
        case 0:
            valueStart = position
            guard let v = varint() else { return nil }
            value = v
        case 1, 5:
            let width = wire == 1 ? 8 : 4
            guard end - position >= width else { return nil }
            valueStart = position
            position += width
        case 2:
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            valueStart = position
            position += Int(length)
        default:
            return nil   // groups (deprecated, never in ONNX files) and invalid wire types
        }
        return Field(number: tag >> 3, wire: wire, varint: value, value: valueStart..<position, whole: start..<position)
    }
}
