import Foundation
import Testing
@testable import FeatMapKit

/// PNG decoding against pypng's reader and exact round trips through our encoder.
/// Fixtures: 37×23 crops of chelsea.png written by pypng (Tests/scripts/codec_fixtures.py).
@Suite struct CodecPNGTests {
    static let names: [String] = {
        var names: [String] = []
        for suffix in ["", "-interlaced"] {
            names += ["grey1", "grey2", "grey4", "grey8", "grey16", "grey-alpha8", "grey-alpha16",
                      "rgb8", "rgb16", "rgba8", "rgba16", "palette1", "palette2", "palette4", "palette8"].map { $0 + suffix }
        }
        return names + ["grey2-trns", "grey8-trns", "grey16-trns", "rgb8-trns", "rgb16-trns", "palette4-trns", "palette8-trns"]
    }()

    @Test(arguments: names)
    func decodesLikePypng(name: String) throws {
        let image = try CodecFixture.decode("png/\(name).png")
        let expected = try CodecFixture.expected("png/\(name).expected.npy")
        #expect(expected.shape == [image.height, image.width, image.channels])
        #expect(image.width == 37 && image.height == 23)
        #expect(image.bitDepth == (name.contains("16") ? 16 : 8))
        #expect(image.samples == expected.storage)
    }

    @Test(arguments: names)
    func roundTripIsExact(name: String) throws {
        let image = try CodecFixture.decode("png/\(name).png")
        let bytes = try CodecFixture.encoded(image, as: .png(depth: image.bitDepth))
        let again = try ImageDecoder.decode(bytes, source: "re-encoded \(name)")
        #expect(again == image)
    }

    @Test func headerTellsWhetherTheWholeImageIsNeeded() throws {
        let plain = try ImageReader(bytes: CodecFixture.bytes("png/rgb16.png"), source: "rgb16.png")
        #expect(plain.header == ImageHeader(width: 37, height: 23, channels: 3, bitDepth: 16, format: .png,
                                            needsWholeImage: false, sourceBitDepth: 16, interlaced: false))
        let interlaced = try ImageReader(bytes: CodecFixture.bytes("png/palette4-interlaced.png"), source: "p")
        #expect(interlaced.header.needsWholeImage && interlaced.header.interlaced)
        #expect(interlaced.header.sourceBitDepth == 4 && interlaced.header.channels == 3)
    }

    @Test(arguments: ["rgba16", "grey1-interlaced", "palette8-trns"])
    func rowBandsConcatenateToTheWholeImage(name: String) throws {
        let whole = try CodecFixture.decode("png/\(name).png")
        let reader = try ImageReader(bytes: CodecFixture.bytes("png/\(name).png"), source: name)
        var rows: [Float] = []
        for band in [1, 5, 7, 100] { rows += try reader.readRows(band) }
        #expect(reader.rowsRemaining == 0)
        #expect(try reader.readRows(3).isEmpty)
        #expect(rows == whole.samples)
    }

    @Test func streamingWriterMatchesWholeImageEncoder() throws {
        let image = try CodecFixture.decode("png/rgba16.png")
        let rowSamples = image.width * image.channels
        let bytes = try CodecFixture.withTemporaryFile { file in
            let writer = try ImageWriter(file: file, width: image.width, height: image.height, channels: 4,
                                         format: .png(depth: 16), destination: "stream.png")
            var y = 0
            for band in [3, 8, 12] {
                try writer.writeRows(Array(image.samples[y * rowSamples ..< (y + band) * rowSamples]), bitDepth: 16)
                y += band
            }
            #expect(throws: CodecError.self) { try writer.writeRows([Float](repeating: 0, count: rowSamples), bitDepth: 16) }
            try writer.finish()
        }
        #expect(try ImageDecoder.decode(bytes, source: "stream.png") == image)
    }

    @Test func compressionLevelChangesSizeNotPixels() throws {
        let image = try CodecFixture.decode("png/rgb16.png")
        let stored = try CodecFixture.withTemporaryFile {
            try ImageEncoder.encode(image, as: .png(depth: 16), to: $0, destination: "l0.png", pngCompressionLevel: 0)
        }
        let best = try CodecFixture.withTemporaryFile {
            try ImageEncoder.encode(image, as: .png(depth: 16), to: $0, destination: "l9.png", pngCompressionLevel: 9)
        }
        #expect(stored.count > 37 * 23 * 6)  // level 0 stores the filtered rows uncompressed
        #expect(best.count < stored.count)
        #expect(try ImageDecoder.decode(stored, source: "l0") == image)
        #expect(try ImageDecoder.decode(best, source: "l9") == image)
    }

    @Test func finishingEarlyIsAnError() throws {
        _ = try CodecFixture.withTemporaryFile { file in
            let writer = try ImageWriter(file: file, width: 4, height: 3, channels: 1, format: .png(depth: 8), destination: "x.png")
            try writer.writeRows([Float](repeating: 9, count: 4), bitDepth: 8)
            #expect(throws: CodecError.self) { try writer.finish() }
        }
    }

    // 16 → 8 bits: round(v · 255/65535); 8 → 16 bits: v · 257 (hand formulas from the brief).
    @Test func depthConversionScalesAndRounds() throws {
        let grey16 = try CodecFixture.decode("png/grey16.png")
        let down = try ImageDecoder.decode(CodecFixture.encoded(grey16, as: .png(depth: 8)), source: "down")
        #expect(down.bitDepth == 8)
        #expect(down.samples == grey16.samples.map { ($0 * 255 / 65535).rounded() })
        let grey8 = try CodecFixture.decode("png/grey8.png")
        let up = try ImageDecoder.decode(CodecFixture.encoded(grey8, as: .png(depth: 16)), source: "up")
        #expect(up.bitDepth == 16)
        #expect(up.samples == grey8.samples.map { $0 * 257 })
    }

    @Test func samplesAreRoundedAndClamped() throws {
        let image = Image(width: 7, height: 1, channels: 1, bitDepth: 8, samples: [-3, 0.4, 0.6, 127.5, 254.5, 300, .nan])
        let back = try ImageDecoder.decode(CodecFixture.encoded(image, as: .png(depth: 8)), source: "clamped")
        #expect(back.samples == [0, 0, 1, 128, 255, 255, 0])
    }

    @Test func pixelLimitIsExactAndComesFromTheHeader() throws {
        let bytes = try CodecFixture.bytes("png/rgb8.png")  // 37 × 23 = 851 pixels
        #expect(try ImageDecoder.decode(bytes, source: "rgb8.png", options: DecodeOptions(maxPixels: 851)).pixelCount == 851)
        let error = try #require(throws: CodecError.self) {
            try ImageDecoder.decode(bytes, source: "rgb8.png", options: DecodeOptions(maxPixels: 850))
        }
        #expect(error.kind == .tooLarge)
        #expect(error.description.hasSuffix("pass --max-pixels 851 to allow it"))
    }
}
