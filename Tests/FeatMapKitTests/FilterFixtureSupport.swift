import Foundation
@testable import FeatMapKit

/// Reads the fixtures made by Tests/scripts/filter_fixtures.py. A deliberately tiny NPY reader
/// (version 1/2 headers, C order, dtypes <f4, |u1, <u2) so these tests do not depend on the
/// library's codecs.
enum FilterFixtures {
    static let directory: URL = Bundle.module.url(forResource: "Fixtures/filters", withExtension: nil)!

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    struct Array: Sendable {
        var shape: [Int]
        var values: [Float]
        var dtype: String
    }

    struct ReadError: Error, CustomStringConvertible { var description: String }

    static func npy(_ name: String) throws -> Array {
        let data = try Data(contentsOf: url(name))
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, String(decoding: bytes[1...5], as: UTF8.self) == "NUMPY" else {
            throw ReadError(description: "\(name) is not an NPY file")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)': ") else { return nil }
            return String(header[r.upperBound...])
        }
        guard let descrField = field("descr"), let shapeField = field("shape"),
              field("fortran_order")?.hasPrefix("False") == true else {
            throw ReadError(description: "\(name): unsupported NPY header \(header)")
        }
        let dtype = String(descrField.dropFirst().prefix(while: { $0 != "'" }))
        let inside = shapeField.dropFirst().prefix(while: { $0 != ")" })
        let shape = inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = headerStart + headerLength
        var values = [Float](repeating: 0, count: count)
        switch dtype {
        case "<f4":
            for i in 0..<count {
                let o = body + 4 * i
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
        case "|u1":
            for i in 0..<count { values[i] = Float(bytes[body + i]) }
        case "<u2":
            for i in 0..<count { values[i] = Float(UInt16(bytes[body + 2 * i]) | UInt16(bytes[body + 2 * i + 1]) << 8) }
        default:
            throw ReadError(description: "\(name): dtype \(dtype) not supported by the test reader")
        }
        return Array(shape: shape, values: values, dtype: dtype)
    }

    /// An H×W (grey) or H×W×C uint8/uint16 array as an Image.
    static func image(_ name: String) throws -> Image {
        let a = try npy(name)
        let channels = a.shape.count == 3 ? a.shape[2] : 1
        return Image(width: a.shape[1], height: a.shape[0], channels: channels, bitDepth: a.dtype == "<u2" ? 16 : 8,
                     samples: a.values)
    }

    struct Case: Sendable, CustomStringConvertible {
        var id: String
        var input: String
        var spec: String
        var expected: String
        var options: FilterOptions
        var mode: ResponseMode?
        var depth: Int?
        var scale: Float
        var bias: Float
        var description: String { id }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: url("manifest.json")),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.compactMap { d -> Case? in
            guard let id = d["id"] as? String, let input = d["input"] as? String, let spec = d["spec"] as? String,
                  let expected = d["expected"] as? String else { return nil }
            var o = FilterOptions()
            if let p = d["padding"] as? String { o.padding = (try? PaddingChoice(parsing: p)) ?? .same }
            if let s = d["stride"] as? [Int] { o.stride = Pair(s[0], s[1]) }
            if let s = d["dilation"] as? [Int] { o.dilation = Pair(s[0], s[1]) }
            if let b = d["border"] as? String { o.border = BorderMode(rawValue: b) ?? .replicate }
            o.convolve = d["convolve"] as? Bool ?? false
            o.gray = d["gray"] as? Bool ?? false
            let mode = (d["mode"] as? String).flatMap(ResponseMode.init(rawValue:))
            return Case(id: id, input: input, spec: spec, expected: expected, options: o, mode: mode,
                        depth: d["depth"] as? Int, scale: Float(d["scale"] as? Double ?? 1),
                        bias: Float(d["bias"] as? Double ?? 0))
        }
    }()

    /// A kernel spec from the manifest: files under kernels/ live in the fixture folder.
    static func resolve(_ spec: String) throws -> ClassicFilter {
        try KernelLibrary.resolve(spec.hasPrefix("kernels/") ? url(spec).path : spec)
    }

    /// max |a − b|
    static func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
