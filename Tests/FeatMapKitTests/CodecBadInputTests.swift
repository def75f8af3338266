import Foundation
import Testing
@testable import FeatMapKit

/// Damaged inputs (Tests/scripts/codec_fixtures.py cuts or patches good files, keeping CRCs
/// valid unless the CRC is the defect) must each give one clean, specific error.
@Suite struct CodecBadInputTests {
    static let cases: [(String, CodecError.Kind, String)] = [
        ("not-an-image.txt", .notAnImage, "not a PNG, JPEG or NPY file (it starts with 0x54 0x68 0x69 0x73)"),
        ("empty.png", .empty, "empty file (0 bytes)"),
        ("truncated.png", .truncated, "truncated PNG data (file ends inside IDAT); the file is incomplete or damaged"),
        ("signature-only.png", .truncated, "file ends inside the PNG signature"),
        ("bad-crc.png", .corrupt, "bad CRC in the IDAT chunk"),
        ("no-idat.png", .corrupt, "no IDAT chunk"),
        ("no-ihdr.png", .corrupt, "missing IHDR chunk (the first chunk is IDAT)"),
        ("no-iend.png", .truncated, "before the IEND chunk"),
        ("bad-zlib.png", .corrupt, "corrupt PNG data ("),  // libpng: inflate error or bad filter value
        ("short-idat.png", .corrupt, "Not enough image data"),
        ("truncated.jpg", .truncated, "truncated JPEG data (file ends inside the compressed data)"),
        ("bad-huffman.jpg", .corrupt, "corrupt JPEG data (bad Huffman code)"),
        ("huge-header.png", .tooLarge,
         "100000×100000 is 10000 megapixels, over the 256-megapixel limit; pass --max-pixels 10000000000 to allow it"),
        ("huge-header.jpg", .tooLarge, "65000×65000 is 4225 megapixels, over the 256-megapixel limit"),
        ("image.gif", .unsupported, "this is a GIF file"),
    ]

    @Test(arguments: cases)
    func throwsOneSpecificError(name: String, kind: CodecError.Kind, fragment: String) throws {
        let error = try #require(throws: CodecError.self) { try CodecFixture.decode("bad/\(name)") }
        #expect(error.kind == kind, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("bad/\(name): "))
        #expect(!error.description.contains("\n"))
    }

    @Test func hugeHeaderIsReadWithoutAllocatingThePixels() throws {
        // With the limit raised, the header of a 10-gigapixel claim is read (nothing that
        // size is allocated, or this would crash) and the missing data fails at the first row.
        let reader = try ImageReader(bytes: CodecFixture.bytes("bad/huge-header.png"), source: "huge-header.png",
                                     options: DecodeOptions(maxPixels: 10_000_000_000))
        #expect(reader.header.width == 100_000 && reader.header.height == 100_000)
        let error = try #require(throws: CodecError.self) { try reader.readRows(1) }
        #expect(error.kind == .corrupt)
    }

    @Test func hugeJPEGHeaderWithTheLimitRaisedFailsAtTheData() throws {
        // SOF patched to 65000×65000 over the entropy data of a 64×48 image: the header is
        // accepted, row buffers are width-sized, and the first rows run out of data.
        let reader = try ImageReader(bytes: CodecFixture.bytes("bad/huge-header.jpg"), source: "huge-header.jpg",
                                     options: DecodeOptions(maxPixels: Int.max))
        #expect(reader.header.width == 65000 && !reader.header.needsWholeImage)
        let error = try #require(throws: CodecError.self) { try reader.readRows(16) }
        #expect(error.kind == .truncated || error.kind == .corrupt, "\(error)")
    }

    @Test func streamingFailureSurfacesAfterGoodRows() throws {
        let reader = try ImageReader(bytes: CodecFixture.bytes("bad/short-idat.png"), source: "short-idat.png")
        #expect(reader.header.width == 64 && reader.header.height == 48)
        #expect(try reader.readRows(10).count == 10 * 64 * 3)
        #expect(throws: CodecError.self) { try reader.readRows(38) }
        #expect(throws: CodecError.self) { try reader.readRows(1) }  // stays failed
    }

    /// Every prefix length of good files (a step of 7 bytes) either decodes or throws; none crashes.
    @Test(arguments: ["png/rgb8.png", "png/palette4-interlaced.png", "jpeg/progressive.jpg", "jpeg/arithmetic.jpg",
                      "orientation/orientation-6.jpg", "jpeg/cmyk.jpg"])
    func everyTruncationThrowsCleanly(name: String) throws {
        let bytes = try CodecFixture.bytes(name)
        var failures = 0
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            do { _ = try ImageDecoder.decode(Array(bytes.prefix(cut)), source: "cut") } catch is CodecError { failures += 1 }
        }
        #expect(failures == (bytes.count + 6) / 7)
    }

    /// Flipped bytes across the file: clean errors or (for bytes libjpeg cannot notice) an image.
    @Test(arguments: ["png/rgba16.png", "jpeg/baseline.jpg", "jpeg/progressive.jpg"])
    func corruptedBytesNeverCrash(name: String) throws {
        let bytes = try CodecFixture.bytes(name)
        var failures = 0
        for at in stride(from: 2, to: bytes.count, by: 5) {
            var damaged = bytes
            damaged[at] ^= 0x5A
            do { _ = try ImageDecoder.decode(damaged, source: "damaged") } catch is CodecError { failures += 1 }
        }
        #expect(failures > 0)
        if name.hasSuffix(".png") { #expect(failures == (bytes.count - 2 + 4) / 5) }  // every byte is CRC-covered
    }

    @Test func formatDetectionIsByContent() throws {
        #expect(ImageFormat.detect(try CodecFixture.bytes("jpeg/grey.jpg")) == .jpeg)
        #expect(ImageFormat.detect(try CodecFixture.bytes("png/grey1.png")) == .png)
        #expect(ImageFormat.detect(try CodecFixture.bytes("npy/f4-5.npy")) == .npy)
        #expect(ImageFormat.detect(Array("hello".utf8)) == nil)
        #expect(ImageFormat.fromExtension("a/B.JPEG") == .jpeg && ImageFormat.fromExtension("x.Jpg") == .jpeg)
        #expect(ImageFormat.fromExtension("x.npy") == .npy && ImageFormat.fromExtension("dir.png/x") == nil)
        #expect(ImageFormat.fromExtension(".png") == nil && ImageFormat.fromExtension("x.gif") == nil)
        // A JPEG named .png decodes as the JPEG it is.
        let image = try ImageDecoder.decode(CodecFixture.bytes("jpeg/grey.jpg"), source: "liar.png")
        #expect(image.channels == 1)
    }
}
