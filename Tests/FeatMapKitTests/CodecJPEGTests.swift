import Foundation
import Testing
@testable import FeatMapKit

/// JPEG decoding against Pillow (Tests/scripts/codec_fixtures.py: 48×32 crops of coffee.png and
/// chelsea.png saved by Pillow; the arithmetic one converted by `jpegtran -arithmetic`, the YCCK
/// one written by Tests/scripts/make_ycck_jpeg.c with libjpeg from Photoshop-style inverted CMYK).
/// Both sides are libjpeg-turbo with the default islow IDCT and fancy upsampling (featmap links the
/// system's 2.1, Pillow bundles 3.x), and they agree exactly on every file, so no difference is
/// allowed. (OpenCV's cv2.imread agrees too, except by ±1 on the CMYK and YCCK files, whose
/// CMYK → RGB step is OpenCV's own.)
@Suite struct CodecJPEGTests {
    @Test(arguments: ["baseline", "baseline-444", "progressive", "arithmetic", "grey", "cmyk", "ycck"])
    func decodesLikePillow(name: String) throws {
        let image = try CodecFixture.decode("jpeg/\(name).jpg")
        let expected = try CodecFixture.expected("jpeg/\(name).expected.npy")
        #expect(expected.shape == [image.height, image.width, image.channels])
        #expect(image.channels == (name == "grey" ? 1 : 3))
        #expect(image.bitDepth == 8)
        let diff = differences(image.samples, expected.storage)
        #expect(diff.count == 0, "JPEG \(name): \(diff.count) of \(image.samples.count) samples differ from Pillow, by at most \(diff.max)")
    }

    @Test func progressiveAndBaselineHeaders() throws {
        let progressive = try ImageReader(bytes: CodecFixture.bytes("jpeg/progressive.jpg"), source: "p.jpg")
        #expect(progressive.header.interlaced && progressive.header.needsWholeImage)
        let baseline = try ImageReader(bytes: CodecFixture.bytes("jpeg/baseline.jpg"), source: "b.jpg")
        #expect(!baseline.header.interlaced && !baseline.header.needsWholeImage)
        #expect(baseline.header.orientation == .identity)
        // Rows in bands equal the whole decode.
        var rows: [Float] = []
        while baseline.rowsRemaining > 0 { rows += try baseline.readRows(5) }
        #expect(rows == (try CodecFixture.decode("jpeg/baseline.jpg")).samples)
    }

    /// Each file stores the same upright crop turned so that its EXIF orientation turns it back;
    /// the expected values are Pillow's decode after ImageOps.exif_transpose.
    @Test(arguments: ["1", "2", "3", "4", "5", "6", "7", "8", "6-motorola"])
    func exifOrientationGivesTheUprightImage(tag: String) throws {
        let name = "orientation/orientation-\(tag)"
        let reader = try ImageReader(bytes: CodecFixture.bytes(name + ".jpg"), source: name)
        let n = Int(tag.prefix(1))!
        #expect(reader.header.orientation.rawValue == n)
        #expect(reader.header.width == 48 && reader.header.height == 32)
        #expect(reader.header.needsWholeImage == (n != 1))
        let image = try reader.readImage()
        let expected = try CodecFixture.expected(name + ".expected.npy")
        let diff = differences(image.samples, expected.storage)
        #expect(diff.count == 0, "orientation \(tag): \(diff.count) samples differ, max \(diff.max)")
        // And the stored layout when orientation is not applied: sides swapped for 5…8.
        let raw = try CodecFixture.decode(name + ".jpg", options: DecodeOptions(applyOrientation: false))
        #expect(raw.width == (n >= 5 ? 32 : 48))
    }

    @Test func exifParserHandlesBothByteOrdersAndRejectsDamage() {
        func tiff(little: Bool, type: UInt16, value: UInt32, count: UInt16 = 1) -> [UInt8] {
            func u16(_ v: UInt16) -> [UInt8] { little ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
            func u32(_ v: UInt32) -> [UInt8] { little ? u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) : u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) }
            let valueField = type == 3 ? u16(UInt16(value)) + [0, 0] : u32(value)
            return (little ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(count) + u16(0x0112) + u16(type) + u32(1) + valueField + u32(0)
        }
        #expect(ExifOrientation.parse(tiff: tiff(little: true, type: 3, value: 6)) == .rotate90Clockwise)
        #expect(ExifOrientation.parse(tiff: tiff(little: false, type: 3, value: 8)) == .rotate90CounterClockwise)
        #expect(ExifOrientation.parse(tiff: tiff(little: true, type: 4, value: 3)) == .rotate180)
        #expect(ExifOrientation.parse(tiff: tiff(little: true, type: 3, value: 9)) == .identity)
        // IFD claims more entries than the block holds; every prefix of a good block.
        #expect(ExifOrientation.parse(tiff: tiff(little: true, type: 3, value: 6, count: 900)) == .rotate90Clockwise)
        let good = tiff(little: false, type: 3, value: 5)
        for cut in 0..<good.count - 4 { _ = ExifOrientation.parse(tiff: Array(good.prefix(cut))) }
        #expect(ExifOrientation.parse(tiff: Array(good.prefix(19))) == .identity)
        #expect(ExifOrientation.parse(tiff: [0x49, 0x49, 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]) == .identity)
    }

    @Test func orientationTransformsMatchHandLayout() {
        // 3×2 image  a b c / d e f, one channel, values 1…6.
        let image = Image(width: 3, height: 2, channels: 1, bitDepth: 8, samples: [1, 2, 3, 4, 5, 6])
        let cases: [(ExifOrientation, [Float])] = [
            (.flipHorizontal, [3, 2, 1, 6, 5, 4]), (.rotate180, [6, 5, 4, 3, 2, 1]), (.flipVertical, [4, 5, 6, 1, 2, 3]),
            (.transpose, [1, 4, 2, 5, 3, 6]), (.rotate90Clockwise, [4, 1, 5, 2, 6, 3]),
            (.transverse, [6, 3, 5, 2, 4, 1]), (.rotate90CounterClockwise, [3, 6, 2, 5, 1, 4]),
        ]
        for (orientation, expected) in cases {
            let turned = orientation.applied(to: image)
            #expect(turned.samples == expected, "\(orientation)")
            #expect(turned.width == (orientation.swapsAxes ? 2 : 3))
        }
    }

    /// featmap's encoder against the reference encoder on the same pixels: libjpeg-turbo through
    /// Pillow (and OpenCV, which writes the same bytes) at the same quality, from
    /// Tests/scripts/jpeg_encoder_fixtures.py. Both call jpeg_set_defaults and jpeg_set_quality
    /// (4:2:0, standard Huffman tables, islow DCT, JFIF 1:1), so the files are identical byte for byte.
    @Test(arguments: [95, 20])
    func encodesLikePillow(quality: Int) throws {
        let image = try CodecFixture.decode("png/rgb8.png")
        let encoded = try CodecFixture.encoded(image, as: .jpeg(quality: quality))
        let reference = try CodecFixture.bytes("jpeg-encoded/rgb8-q\(quality).jpg")
        #expect(ImageFormat.detect(encoded) == .jpeg)
        #expect(encoded == reference, "quality \(quality): \(encoded.count) bytes, Pillow's \(reference.count)")
        let back = try ImageDecoder.decode(encoded, source: "q\(quality)")
        #expect(back.channels == 3 && back.width == 37 && back.height == 23)
    }

    /// Alpha is dropped and 16-bit samples are scaled by 255/65535 and rounded before encoding: the
    /// reference is Pillow's JPEG of round(v / 257) of the colour channels (quality 100) and of the
    /// grey channel of grey+alpha (quality 90).
    @Test func jpegDropsAlphaAndScales16Bit() throws {
        let rgba16 = try CodecFixture.decode("png/rgba16.png")
        let colour = try CodecFixture.encoded(rgba16, as: .jpeg(quality: 100))
        #expect(colour == (try CodecFixture.bytes("jpeg-encoded/rgba16-q100.jpg")), "16-bit RGBA at quality 100")
        let back = try ImageDecoder.decode(colour, source: "rgba16.jpg")
        #expect(back.channels == 3 && back.bitDepth == 8)
        let greyAlpha = try CodecFixture.decode("png/grey-alpha8.png")
        let grey = try CodecFixture.encoded(greyAlpha, as: .jpeg(quality: 90))
        #expect(grey == (try CodecFixture.bytes("jpeg-encoded/grey-alpha8-q90.jpg")), "grey+alpha at quality 90")
        #expect(try ImageDecoder.decode(grey, source: "ga.jpg").channels == 1)
        #expect(throws: CodecError.self) { try CodecFixture.encoded(greyAlpha, as: .jpeg(quality: 0)) }
    }
}
