import Foundation

/// The safetensors container (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
/// the data that follows the header) plus an optional "__metadata__" map of strings to strings,
/// then the raw little-endian tensor data.
public struct SafeTensors: Sendable {
    public var tensors: [String: Tensor]
    /// The stored type of each tensor ("F32", "F16", …).
    public var types: [String: String]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], types: [String: String] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors; self.types = types; self.metadata = metadata
    }

    static let maximumHeaderLength: UInt64 = 100_000_000

    static let byteWidths: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    public init(_ data: Data, file: String) throws {
        func corrupt(_ s: String) -> ModelError { .corruptWeights(file: file, reason: s) }
        guard data.count >= 8 else { throw corrupt("the file is \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw corrupt("the header length (\(headerLength) bytes) runs past the end of the \(data.count)-byte file; the file is truncated or not safetensors")
        }
        // The reference reader refuses headers over 100 MB (safetensors' MAX_HEADER_SIZE); a real one is kilobytes.
        guard headerLength <= SafeTensors.maximumHeaderLength else {
            throw corrupt("the header length (\(headerLength) bytes) is over the 100 MB a safetensors header may have; the file is damaged or not safetensors")
        }
        let headerStart = data.startIndex + 8, dataStart = headerStart + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data[headerStart..<dataStart]) } catch {
            throw corrupt("the JSON header does not parse (\(error.localizedDescription)); the file is damaged or not safetensors — re-save it with safetensors")
        }
        guard let header = json as? [String: Any] else { throw corrupt("the JSON header is not an object") }
        var tensors: [String: Tensor] = [:], types: [String: String] = [:], metadata: [String: String] = [:]
        let available = data.count - (dataStart - data.startIndex)
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let m = entry as? [String: Any] else { throw corrupt("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw corrupt("__metadata__ value '\(k)' is not a string (safetensors metadata maps strings to strings)") }
                    metadata[k] = s
                }
                continue
            }
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String, let shapeAny = e["shape"] as? [Any],
                  let offsetsAny = e["data_offsets"] as? [Any], offsetsAny.count == 2 else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has a header entry without dtype, shape and data_offsets [begin, end]")
            }
            let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
            let offsets = offsetsAny.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has a malformed shape or data_offsets in the header")
            }
            guard let width = SafeTensors.byteWidths[dtype] else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has dtype \(dtype), which featmap cannot widen to float32; use F32 or F16")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= available else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has data_offsets [\(begin), \(end)] outside the \(available) bytes of tensor data; the file is truncated")
            }
            guard let count = SafeTensors.elementCount(shape), count <= Int.max / 8 else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has shape \(shape), too large to be real; the header is damaged")
            }
            guard end - begin == count * width else {
                throw ModelError.badTensor(file: file, tensor: name, reason: "has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(count * width); the file is damaged")
            }
            let bytes = data[(dataStart + begin)..<(dataStart + end)]
            tensors[name] = Tensor(shape: shape, storage: SafeTensors.widened(bytes, dtype: dtype, count: count))
            types[name] = dtype
        }
        self.init(tensors: tensors, types: types, metadata: metadata)
    }

    /// The product of the dimensions, or nil when it overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    static func widened(_ bytes: Data, dtype: String, count: Int) -> [Float] {
        let width = byteWidths[dtype] ?? 4
        let raw = ONNXReader.RawSource.message(bytes)
        let decode = { raw.decodeLittleEndian(count: count, width: width, $0) }
        switch dtype {
        case "F32": return raw.floats(count: count)
        case "F16": return decode { HalfPrecision.float(fromBits: UInt16(truncatingIfNeeded: $0)) }
        case "BF16": return decode { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }
        case "F64": return decode { Float(Double(bitPattern: $0)) }
        case "U8", "BOOL": return decode { Float($0) }
        default:
            let shift = UInt64(64 - 8 * width)
            return decode { Float(Int64(bitPattern: $0 << shift) >> Int64(shift)) }
        }
    }

    /// The file's bytes. Tensors are written in name order as F32, or F16 where `types` says so;
    /// the header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let half = types[name] == "F16"
            let begin = body.count
            if half {
                for v in t.storage { let b = HalfPrecision.bits(from: v); body.append(UInt8(b & 0xFF)); body.append(UInt8(b >> 8)) }
            } else {
                t.storage.withUnsafeBufferPointer { p in
                    var le = [UInt32](repeating: 0, count: p.count)
                    for i in 0..<p.count { le[i] = p[i].bitPattern.littleEndian }
                    le.withUnsafeBytes { body.append(contentsOf: $0) }
                }
            }
            header[name] = ["dtype": half ? "F16" : "F32", "shape": t.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }
}
