import Foundation
import Testing
@testable import FeatMapKit

/// NPY against files written by numpy.save (Tests/scripts/codec_fixtures.py, make_npy);
/// the values below are the script's formulas evaluated by hand.
@Suite struct CodecNPYTests {
    static let f4x2x3: [Float] = [-0.5, -0.25, 0, 0.25, 0.5, 0.75]            // (arange(6) − 2) · 0.25
    static let f4x3x2x4: [Float] = (0..<24).map { Float($0) / 8 - 1 }        // arange(24)/8 − 1
    static let f4x5: [Float] = [0, 1.5, 3, 4.5, 6]                           // arange(5) · 1.5

    @Test(arguments: [("f4-2x3.npy", [2, 3], f4x2x3), ("f4-3x2x4.npy", [3, 2, 4], f4x3x2x4),
                      ("f4-5.npy", [5], f4x5), ("f4-1234567x0.npy", [1234567, 0], [])])
    func encodeIsByteIdenticalToNumpySave(name: String, shape: [Int], values: [Float]) throws {
        let numpy = try CodecFixture.bytes("npy/\(name)")
        #expect(NPY.encode(shape: shape, values: values) == numpy)
        let decoded = try NPY.decode(numpy, source: name)
        #expect(decoded.shape == shape && decoded.storage == values)
    }

    @Test func decodesFloat64AndUInt8() throws {
        let f8 = try NPY.decode(CodecFixture.bytes("npy/f8-2x2.npy"), source: "f8")
        #expect(f8.shape == [2, 2])
        #expect(f8.storage == [Float(1.0 / 3.0), Float(2.0 / 3.0), Float(1e-3), -7.25])
        let u1 = try NPY.decode(CodecFixture.bytes("npy/u1-2x3.npy"), source: "u1")
        #expect(u1.shape == [2, 3] && u1.storage == [0, 1, 2, 253, 254, 255])
    }

    @Test(arguments: [("fortran.npy", "Fortran order"), ("big-endian.npy", "'>f4' is not supported"),
                      ("i4.npy", "'<i4' is not supported")])
    func rejectsWithAClearMessage(name: String, fragment: String) throws {
        let error = try #require(throws: CodecError.self) { try NPY.decode(CodecFixture.bytes("npy/\(name)"), source: name) }
        #expect(error.kind == .unsupported)
        #expect(error.description.hasPrefix(name + ": ") && error.description.contains(fragment), "\(error)")
    }

    @Test func truncatedAndDamagedFilesThrow() throws {
        let bytes = try CodecFixture.bytes("npy/f4-2x3.npy")
        let short = try #require(throws: CodecError.self) { try NPY.decode(Array(bytes.dropLast(4)), source: "s.npy") }
        #expect(short.kind == .truncated)
        for cut in 0..<bytes.count {
            #expect(throws: CodecError.self) { try NPY.decode(Array(bytes.prefix(cut)), source: "cut") }
        }
        var garbled = bytes
        for i in 10..<40 { garbled[i] = 0x7B }
        #expect(throws: CodecError.self) { try NPY.decode(garbled, source: "g.npy") }
    }

    @Test func roundTripKeepsEveryFloat() throws {
        let values: [Float] = [0, -0, 1, -1e-38, 3.4e38, .infinity, -.infinity, 0.1, 65535.5, -123.456, 7, 8]
        let decoded = try NPY.decode(NPY.encode(shape: [3, 4], values: values), source: "rt")
        #expect(decoded.shape == [3, 4])
        #expect(decoded.storage.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func imagesBecomeHWCArraysAndBack() throws {
        let rgb = try CodecFixture.decode("png/rgb16.png")
        let array = try NPY.decode(CodecFixture.encoded(rgb, as: .npy), source: "rgb16.npy")
        #expect(array.shape == [23, 37, 3] && array.storage == rgb.samples)
        let grey = try CodecFixture.decode("png/grey8.png")
        let greyArray = try NPY.decode(CodecFixture.encoded(grey, as: .npy), source: "grey.npy")
        #expect(greyArray.shape == [23, 37] && greyArray.storage == grey.samples)
        // numpy.save of arange(36).reshape(4, 3, 3) · 7 read as a 3×4 RGB image.
        let image = try CodecFixture.decode("npy/image-4x3x3.npy")
        #expect(image.width == 3 && image.height == 4 && image.channels == 3 && image.bitDepth == 8)
        #expect(image.samples == (0..<36).map { Float($0 * 7) })
        #expect(throws: CodecError.self) { try CodecFixture.decode("npy/f4-5.npy") }
    }
}
