import Foundation
import Testing
@testable import FeatMapKit

/// Fixture access for the codec tests. The fixtures and their expected values are made by
/// Tests/scripts/codec_fixtures.py with independent decoders (pypng, Pillow) and numpy.save.
enum CodecFixture {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/codecs/" + name, withExtension: nil), "missing fixture \(name)")
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try url(name)
        // Foundation's Data(contentsOf:) leaks a 4 KiB buffer on an empty file (LeakSanitizer,
        // .ci/sanitize); the empty fixture is read as what it is.
        if try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int == 0 { return [] }
        return try [UInt8](Data(contentsOf: url))
    }

    static func decode(_ name: String, options: DecodeOptions = .init()) throws -> Image {
        try ImageDecoder.decode(bytes(name), source: name, options: options)
    }

    /// The reference decoder's samples, stored as uint8/uint16 [H, W, C] .npy.
    static func expected(_ name: String) throws -> Tensor {
        try NPY.decode(bytes(name), source: name)
    }

    /// Encodes into an anonymous temporary file and returns its bytes.
    static func encoded(_ image: Image, as format: OutputFormat) throws -> [UInt8] {
        try withTemporaryFile { file in try ImageEncoder.encode(image, as: format, to: file, destination: "memory") }
    }

    static func withTemporaryFile(_ body: (UnsafeMutablePointer<FILE>) throws -> Void) throws -> [UInt8] {
        let file = try #require(tmpfile())
        defer { fclose(file) }
        try body(file)
        fflush(file)
        rewind(file)
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            out += chunk[0..<n]
            if n < chunk.count { break }
        }
        return out
    }

    static func temporaryFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "featmap-codec-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Largest absolute difference and how many samples differ at all.
func differences(_ a: [Float], _ b: [Float]) -> (max: Float, count: Int) {
    var worst: Float = 0, count = 0
    for (x, y) in zip(a, b) where x != y {
        worst = max(worst, abs(x - y))
        count += 1
    }
    return (worst, count)
}
