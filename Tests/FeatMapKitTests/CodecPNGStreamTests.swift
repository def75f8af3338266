import CCodecs
import CCodecs.Testing
import CZlib
import Foundation
import Testing
@testable import FeatMapKit

/// featmap's default PNG encoder (segments of Up-filtered rows through ISA-L's deflate, or of
/// Paeth-filtered rows as Huffman-only blocks; libpng's chunks), checked with zlib, the reference
/// inflater, rather than with the decoder featmap itself uses: every chunk's CRC, one zlib stream
/// across the IDAT chunks that ends with a correct Adler-32 and nothing after it, and filtered lines
/// that undo, by hand, to exactly the samples written.
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
    /// Undoes the filters by hand (PNG spec, section 9): Up adds the byte above; Paeth adds whichever
    /// of left (a), above (b) and above-left (c) is nearest to a + b − c, ties to a, then b. Returns the
    /// samples (big-endian when 16-bit) and each row's filter type.
    static func unfiltered(_ lines: [UInt8], width: Int, height: Int, channels: Int, depth: Int) -> (samples: [Float], filters: [UInt8]) {
        let bytesPerSample = depth / 8, bpp = channels * bytesPerSample, rowBytes = width * bpp
        var above = [UInt8](repeating: 0, count: rowBytes), samples: [Float] = [], filters: [UInt8] = []
        samples.reserveCapacity(width * height * channels)
        for y in 0 ..< height {
            let start = y * (rowBytes + 1), type = lines[start]
            filters.append(type)
            var row = [UInt8](repeating: 0, count: rowBytes)
            for i in 0 ..< rowBytes {
                let x = lines[start + 1 + i]
                let a = i >= bpp ? Int(row[i - bpp]) : 0, b = Int(above[i]), c = i >= bpp ? Int(above[i - bpp]) : 0
                switch type {
                case 2: row[i] = x &+ UInt8(b)
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    row[i] = x &+ UInt8(pa <= pb && pa <= pc ? a : pb <= pc ? b : c)
                default: row[i] = x  // reported through `filters`
                }
            }
            for i in stride(from: 0, to: rowBytes, by: bytesPerSample) {
                samples.append(Float(depth == 16 ? Int(row[i]) << 8 | Int(row[i + 1]) : Int(row[i])))
            }
            above = row
        }
        return (samples, filters)
    }

    // Sizes: 1×1 grey; rows longer than a segment (16-bit RGBA, 40,000 wide: 320,000 bytes a row);
    // and many rows of noise, so that the stream spans several IDAT chunks.
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
        let rowBytes = width * channels * depth / 8
        let lines = try Self.inflatedLines(chunks, expectedCount: height * (rowBytes + 1))
        let (decoded, filters) = Self.unfiltered(lines, width: width, height: height, channels: channels, depth: depth)
        #expect(filters.allSatisfy { $0 == 2 || $0 == 4 }, "filter types \(Set(filters))")
        #expect(decoded.count == samples.count)
        let wrong = zip(decoded, samples).filter { $0 != $1 }.count  // a count, not a diff of 10⁶ samples
        #expect(wrong == 0, "\(wrong) of \(samples.count) samples differ")
        // Noise does not compress, so more than 256 KiB of it cannot fit in one 256 KiB IDAT chunk.
        if rowBytes * height > 1 << 18 { #expect(names.filter { $0 == "IDAT" }.count > 1) }
    }

    /// A picture whose top is smooth (a ramp repeated on every row: LZ77 wins) and whose rest is
    /// noise with a skewed distribution (LZ77 finds little; a Huffman code of the Paeth residuals is
    /// smaller): the encoder must switch from one way to the other within one stream. A segment is
    /// 2¹⁹ / (row bytes + 1) rows (1,022 for 512 grey columns, 170 for 512 16-bit RGB ones, whose
    /// Paeth predictor looks 6 bytes to the left); four segments.
    @Test(arguments: [(1, 8), (3, 16)])
    func switchesBetweenLZAndHuffmanInOneStream(channels: Int, depth: Int) throws {
        let width = 512, rowBytes = width * channels * depth / 8
        let segment = (1 << 19) / (rowBytes + 1), height = 4 * segment
        let rowSamples = width * channels
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        let samples: [Float] = (0 ..< rowSamples * height).map { i in
            if i / rowSamples < segment { return Float(i % rowSamples % 256) }
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = (Double(state >> 11) + 0.5) / Double(1 << 53)  // in (0, 1)
            return Float(min(255, Int(log(u) / log(0.7))))          // geometric, mostly 0…5
        }
        let png = try Self.write(samples, width: width, height: height, channels: channels, depth: depth, bands: [32])
        let lines = try Self.inflatedLines(try Self.chunks(png), expectedCount: height * (rowBytes + 1))
        let (decoded, filters) = Self.unfiltered(lines, width: width, height: height, channels: channels, depth: depth)
        #expect(filters.prefix(segment).allSatisfy { $0 == 2 }, "the smooth segment goes through LZ77 (Up)")
        #expect(filters.suffix(segment).allSatisfy { $0 == 4 }, "the last noisy segment is Huffman-only (Paeth)")
        let wrong = zip(decoded, samples).filter { $0 != $1 }.count
        #expect(decoded.count == samples.count && wrong == 0, "\(wrong) of \(samples.count) samples differ")
        // Codes written one at a time rather than in pairs: the same bits (the switch only changes
        // the path, so other tests running meanwhile are unaffected).
        fm_png_fast_use_pair_codes(0)
        defer { fm_png_fast_use_pair_codes(1) }
        let single = try Self.write(samples, width: width, height: height, channels: channels, depth: depth, bands: [32])
        let same = single == png
        #expect(same, "one code at a time: \(single.count) against \(png.count) bytes")
    }

    /// Segments are a fixed number of rows for a given width, so the bytes should not depend on how the
    /// rows were split. Before segments, when ISA-L was fed fixed 256 KiB blocks, once in about twenty
    /// runs of the whole suite a banded and a whole-image encode of
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
