import Foundation

/// NumPy's .npy format (numpy.lib.format, versions 1.0–3.0): magic "\x93NUMPY", version,
/// header length, a Python dict literal, then the raw array.
public enum NPY {
    /// float32 little-endian, C order: the bytes numpy.save writes for an array of this shape.
    public static func encode(shape: [Int], values: [Float]) -> [UInt8] {
        var bytes = header(shape: shape)
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The magic, version and dict of a float32 C-order array, padded as numpy.lib.format
    /// does: room for 21 more digits in the first dimension (GROWTH_AXIS_MAX_DIGITS), then
    /// spaces and a newline up to a multiple of 64 bytes (ARRAY_ALIGN).
    public static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init)
        let tuple = shape.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        if let first = dims.first { dict += String(repeating: " ", count: max(0, 21 - first.count)) }
        var length = dict.utf8.count + 1
        var version: UInt8 = 1
        var prefix = 10
        if length + prefix > 65535 + 10 { version = 2; prefix = 12 }
        let pad = 64 - (prefix + length) % 64  // numpy pads a full 64 when already aligned
        dict += String(repeating: " ", count: pad) + "\n"
        length = dict.utf8.count
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        if version == 1 {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            bytes += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        }
        return bytes + Array(dict.utf8)
    }

    /// Reads float32, float64, uint8 and uint16 arrays (little-endian, C order) as float32.
    public static func decode(_ bytes: [UInt8], source: String) throws -> Tensor {
        func fail(_ kind: CodecError.Kind, _ what: String) -> CodecError {
            CodecError(kind, source: source, message: what)
        }
        guard bytes.count >= 10, bytes.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw fail(bytes.count < 10 && bytes.starts(with: [0x93]) ? .truncated : .notAnImage,
                       "not an NPY file (no \\x93NUMPY magic); write it with numpy.save")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(.truncated, "truncated NPY header; the file is incomplete") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            start = 12
        default:
            throw fail(.unsupported, "NPY format version \(major).\(bytes[7]) is not supported; save with numpy.save (version 1.0–3.0)")
        }
        guard headerLength <= bytes.count - start else {
            throw fail(.truncated, "truncated NPY header (\(headerLength) bytes announced, \(bytes.count - start) present); the file is incomplete")
        }
        guard let dict = String(bytes: bytes[start ..< start + headerLength], encoding: .utf8) else {
            throw fail(.corrupt, "the NPY header is not text; the file is damaged")
        }
        guard let descr = quotedValue(of: "descr", in: dict),
              let fortran = wordValue(of: "fortran_order", in: dict),
              let shape = try shapeValue(in: dict, fail: { fail(.corrupt, $0) }) else {
            throw fail(.corrupt, "unreadable NPY header \(dict.trimmingCharacters(in: .whitespacesAndNewlines)); expected descr, fortran_order and shape")
        }
        guard fortran == "False" else {
            throw fail(.unsupported, "the NPY array is in Fortran order; save it in C order (numpy.ascontiguousarray) instead")
        }
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "<f8": itemSize = 8
        case "|u1", "<u1": itemSize = 1
        case "<u2": itemSize = 2
        default:
            throw fail(.unsupported, "NPY dtype '\(descr)' is not supported; use float32 ('<f4'), float64 ('<f8'), uint8 or uint16, little-endian")
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw fail(.corrupt, "NPY shape \(shape) is impossible (more than \(Int.max) elements); the header is damaged — save the array with numpy.save")
            }
            count = product
        }
        let dataStart = start + headerLength
        let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, bytes.count - dataStart >= needed else {
            throw fail(.truncated, "truncated NPY data (shape \(shape) needs \(overflow ? Int.max : needed) bytes, the file has \(bytes.count - dataStart)); the file is incomplete")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { raw in
            values.withUnsafeMutableBufferPointer { out in
                let p = raw.baseAddress! + dataStart
                switch itemSize {
                case 1:
                    for i in 0..<count { out[i] = Float(p[i]) }
                case 2:
                    for i in 0..<count { out[i] = Float(UInt16(p[2 * i]) | UInt16(p[2 * i + 1]) << 8) }
                case 4:
                    for i in 0..<count {
                        var bits: UInt32 = 0
                        for b in 0..<4 { bits |= UInt32(p[4 * i + b]) << (8 * b) }
                        out[i] = Float(bitPattern: bits)
                    }
                default:
                    for i in 0..<count {
                        var bits: UInt64 = 0
                        for b in 0..<8 { bits |= UInt64(p[8 * i + b]) << (8 * b) }
                        out[i] = Float(Double(bitPattern: bits))
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: values)
    }

    // The header is a Python literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
    private static func rest(after key: String, in dict: String) -> Substring? {
        for quote in ["'", "\""] {
            if let r = dict.range(of: quote + key + quote) {
                var s = dict[r.upperBound...].drop { $0 == " " }
                guard s.first == ":" else { return nil }
                s = s.dropFirst().drop { $0 == " " }
                return s
            }
        }
        return nil
    }

    private static func quotedValue(of key: String, in dict: String) -> String? {
        guard let s = rest(after: key, in: dict), let q = s.first, q == "'" || q == "\"" else { return nil }
        let body = s.dropFirst()
        guard let end = body.firstIndex(of: q) else { return nil }
        return String(body[..<end])
    }

    private static func wordValue(of key: String, in dict: String) -> String? {
        guard let s = rest(after: key, in: dict) else { return nil }
        return String(s.prefix { $0.isLetter })
    }

    /// The shape tuple; nil when there is none, `fail` for a dimension that is not a whole number of zero or more.
    private static func shapeValue(in dict: String, fail: (String) -> CodecError) throws -> [Int]? {
        guard let s = rest(after: "shape", in: dict), s.first == "(", let end = s.firstIndex(of: ")") else { return nil }
        let inner = s[s.index(after: s.startIndex)..<end]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            let digits = t.hasSuffix("L") ? String(t.dropLast()) : t
            guard let d = Int(digits) else {
                let what = digits.allSatisfy({ $0.isNumber || $0 == "-" }) ? "too large" : "not a whole number"
                throw fail("NPY shape (\(inner)) has dimension '\(t)', which is \(what); the header is damaged — save the array with numpy.save")
            }
            guard d >= 0 else {
                throw fail("NPY shape (\(inner)) has a negative dimension \(d); the header is damaged — save the array with numpy.save")
            }
            dims.append(d)
        }
        return dims
    }
}
