import CZlib
import Foundation
import Testing
@testable import FeatMapKit

/// featmap's default PNG encoder (Up filter, ISA-L deflate, libpng's chunks), checked with zlib, the
/// reference inflater, rather than with the decoder featmap itself uses: every chunk's CRC, one zlib
/// stream across the IDAT chunks that ends with a correct Adler-32 and nothing after it, and filtered
/// lines that undo to exactly the samples written.
@Suite struct CodecPNGStreamTests {
    struct Chunk { var name: String; var data: [UInt8] }

    static func chunks(_ png: [UInt8]) throws -> [Chunk] {
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunks: [Chunk] = [], at = 8
        func word(_ i: Int) -> Int { png[i ..< i + 4].reduce(0) { $0 << 8 | Int($1) } }
        while at < png.count {
            try #require(at + 12 <= png.count)
            let length = word(at)
            try #require(at + 12 + length <= png.count)
            let typeAndData = Array(png[at + 4 ..< at + 8 + length])
            let crc = typeAndData.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            #expect(Int(crc) == word(at + 8 + length), "CRC of chunk at byte \(at)")
            chunks.append(Chunk(name: String(decoding: typeAndData.prefix(4), as: UTF8.self), data: Array(typeAndData.dropFirst(4))))
            at += 12 + length
        }
        return chunks
    }

    /// The filtered lines of the image, inflated by zlib (which checks the Adler-32 at the end).
    static func inflatedLines(_ chunks: [Chunk], expectedCount: Int) throws -> [UInt8] {
        let stream = chunks.filter { $0.name == "IDAT" }.flatMap(\.data)
        var out = [UInt8](repeating: 0, count: expectedCount + 1)
        var size = uLongf(out.count)
        let status = out.withUnsafeMutableBufferPointer { o in
            stream.withUnsafeBufferPointer { uncompress(o.baseAddress, &size, $0.baseAddress, uLong($0.count)) }
        }
        #expect(status == Z_OK, "zlib's uncompress returned \(status)")
        #expect(Int(size) == expectedCount)
        return Array(out.prefix(Int(size)))
    }

    /// Samples that do not compress (so that the stream spans many IDAT chunks) in 0 ..< top.
    static func noise(_ count: Int, top: Int) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0 ..< count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 33) % top)
        }
    }

    static func write(_ samples: [Float], width: Int, height: Int, channels: Int, depth: Int, bands: [Int]) throws -> [UInt8] {
        try CodecFixture.withTemporaryFile { file in
            let writer = try ImageWriter(file: file, width: width, height: height, channels: channels,
                                         format: .png(depth: depth), destination: "t.png")
            let rowSamples = width * channels
            var y = 0, b = 0
            while y < height {
                let n = min(bands[b % bands.count], height - y)
                try writer.writeRows(Array(samples[y * rowSamples ..< (y + n) * rowSamples]), bitDepth: depth)
                y += n; b += 1
            }
            try writer.finish()
        }
    }

    // Sizes: 1×1 grey; rows longer than the encoder's 256 KiB deflate input (16-bit RGBA, 40,000 wide:
    // 320,000 bytes a row); and many rows of noise, so that the stream spans several IDAT chunks.
    @Test(arguments: [(1, 1, 1, 8), (40_000, 3, 4, 16), (1_001, 150, 3, 8), (333, 41, 2, 16)])
    func streamIsValidAndUndoesToTheSamples(width: Int, height: Int, channels: Int, depth: Int) throws {
        let top = depth == 16 ? 65536 : 256
        let samples = Self.noise(width * height * channels, top: top)
        let png = try Self.write(samples, width: width, height: height, channels: channels, depth: depth, bands: [7])
        let chunks = try Self.chunks(png)
        #expect(chunks.first?.name == "IHDR" && chunks.last?.name == "IEND")
        #expect(chunks.last?.data.isEmpty == true)
        let names = chunks.map(\.name)
        #expect(names.firstIndex(of: "IDAT") != nil && names.lastIndex(of: "IDAT")! - names.firstIndex(of: "IDAT")! + 1 == names.filter { $0 == "IDAT" }.count,
                "IDAT chunks must be consecutive: \(names)")
        let bytesPerSample = depth / 8, rowBytes = width * channels * bytesPerSample
        let lines = try Self.inflatedLines(chunks, expectedCount: height * (rowBytes + 1))
        // Undo the Up filter by hand: byte = filtered + byte above (mod 256), then big-endian samples.
        var above = [UInt8](repeating: 0, count: rowBytes), decoded: [Float] = []
        for y in 0 ..< height {
            let line = lines[y * (rowBytes + 1) ..< (y + 1) * (rowBytes + 1)]
            #expect(line.first == 2, "row \(y) filter type")
            let row = zip(line.dropFirst(), above).map { $0 &+ $1 }
            for i in stride(from: 0, to: rowBytes, by: bytesPerSample) {
                decoded.append(Float(depth == 16 ? Int(row[i]) << 8 | Int(row[i + 1]) : Int(row[i])))
            }
            above = row
        }
        #expect(decoded.count == samples.count)
        let wrong = zip(decoded, samples).filter { $0 != $1 }.count  // a count, not a diff of 10⁶ samples
        #expect(wrong == 0, "\(wrong) of \(samples.count) samples differ")
        // Noise does not compress, so more than 256 KiB of it cannot fit in one 256 KiB IDAT chunk.
        if rowBytes * height > 1 << 18 { #expect(names.filter { $0 == "IDAT" }.count > 1) }
    }

    /// The encoder hands ISA-L fixed 256 KiB blocks, so the bytes should not depend on how the rows
    /// were split. Once, in about twenty runs of the whole suite, a banded and a whole-image encode of
    /// the same 21×19 picture (in BandedFilterTests) came out 184 and 183 bytes long: both valid, the
    /// same filtered rows once inflated, different matches. It could not be reproduced (thousands of
    /// encodes in and out of process, varied memory contents, alignments and threads), so the other
    /// tests compare PNG pixels, and this one the bytes.
    @Test func bytesDoNotDependOnHowRowsAreSplit() throws {
        let (width, height) = (2_000, 90)
        let samples = Self.noise(width * height * 3, top: 256).enumerated().map { $0.offset % 5 == 0 ? $0.element : 0 }
        let whole = try Self.write(samples, width: width, height: height, channels: 3, depth: 8, bands: [height])
        for bands in [[1], [7], [32, 5], [64]] {
            let split = try Self.write(samples, width: width, height: height, channels: 3, depth: 8, bands: bands)
            let same = split == whole  // a Bool, so that a failure does not print two files' bytes
            #expect(same, "bands \(bands): \(split.count) against \(whole.count) bytes")
        }
    }
}
