import CCodecs
import Foundation

/// Decodes a PNG, JPEG or NPY file held in memory, row band by row band.
///
/// PNG and JPEG rows are decoded by libpng/libjpeg through the C shims as they are asked
/// for, so memory stays proportional to the width, except where `header.needsWholeImage`
/// says otherwise (interlaced PNG, progressive JPEG, JPEG turned upright by EXIF, NPY).
public final class ImageReader {
    public let header: ImageHeader
    public let source: String
    /// Warnings libpng/libjpeg emitted that did not stop decoding (e.g. a bad ancillary chunk CRC).
    public var warnings: [String] {
        guard let handle else { return [] }
        let text = String(cString: fm_reader_warnings(handle))
        return text.isEmpty ? [] : text.components(separatedBy: "; ")
    }
    public var rowsRemaining: Int { header.height - delivered }

    private var handle: OpaquePointer?
    private var data: UnsafeMutableRawBufferPointer?
    private let storedWidth: Int
    private let storedHeight: Int
    private var whole: Image?
    private var delivered = 0

    public init(bytes: [UInt8], source: String, options: DecodeOptions = .init()) throws {
        self.source = source
        guard !bytes.isEmpty else {
            throw CodecError(.empty, source: source,
                             message: "empty file (0 bytes); expected a PNG, JPEG or NPY image")
        }
        guard let format = ImageFormat.detect(bytes) else {
            throw Self.unrecognised(bytes, source: source)
        }
        if format == .npy {
            let image = try Self.image(fromNPY: NPY.decode(bytes, source: source), source: source)
            if image.pixelCount > options.maxPixels {
                throw Self.error(FM_ERR_TOO_LARGE, message: "", format: .npy, source: source,
                                 width: image.width, height: image.height, maxPixels: options.maxPixels)
            }
            whole = image
            storedWidth = image.width
            storedHeight = image.height
            header = ImageHeader(width: image.width, height: image.height, channels: image.channels,
                                 bitDepth: image.bitDepth, format: .npy, needsWholeImage: true, sourceBitDepth: 32)
            return
        }

        // libpng/libjpeg read from this copy until the reader is destroyed.
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        copy.copyBytes(from: bytes)
        guard let reader = fm_reader_create() else {
            copy.deallocate()
            throw CodecError(.outOfMemory, source: source, message: "not enough memory to start decoding")
        }
        let status = fm_reader_open(reader, format == .png ? FM_FORMAT_PNG : FM_FORMAT_JPEG,
                                    copy.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count,
                                    UInt64(max(0, options.maxPixels)))
        let info = fm_reader_info(reader)!.pointee
        guard status == FM_OK else {
            let error = Self.error(status, message: String(cString: fm_reader_message(reader)), format: format,
                                   source: source, width: Int(info.width), height: Int(info.height),
                                   maxPixels: options.maxPixels)
            fm_reader_destroy(reader)
            copy.deallocate()
            throw error
        }
        var orientation = ExifOrientation.identity
        if let exif = info.exif, info.exif_size > 0 {
            orientation = ExifOrientation.parse(tiff: Array(UnsafeBufferPointer(start: exif, count: info.exif_size)))
        }
        let turn = options.applyOrientation && orientation != .identity
        handle = reader
        data = copy
        storedWidth = Int(info.width)
        storedHeight = Int(info.height)
        header = ImageHeader(
            width: turn && orientation.swapsAxes ? storedHeight : storedWidth,
            height: turn && orientation.swapsAxes ? storedWidth : storedHeight,
            channels: Int(info.channels), bitDepth: Int(info.bit_depth), format: format,
            needsWholeImage: info.needs_whole_image != 0 || turn, sourceBitDepth: Int(info.source_bit_depth),
            interlaced: info.interlaced != 0, orientation: orientation, orientationApplied: turn)
    }

    deinit {
        if let handle { fm_reader_destroy(handle) }
        data?.deallocate()
    }

    /// The next `count` rows (fewer at the end of the image, none after it) as interleaved
    /// samples in native units: 0...255 for 8-bit, 0...65535 for 16-bit.
    public func readRows(_ count: Int) throws -> [Float] {
        let n = max(0, min(count, rowsRemaining))
        guard n > 0 else { return [] }
        return try Self.samples(n * header.width * header.channels) { try readRows(n, into: $0) }
    }

    /// A new array of `count` samples that `fill` writes; what `fill` throws is rethrown.
    private static func samples(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) throws -> Void) throws -> [Float] {
        var failure: Error? = nil
        let out = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do { try fill(buffer.baseAddress!) } catch {
                buffer.initialize(repeating: 0)
                failure = error
            }
            initialized = count
        }
        if let failure { throw failure }
        return out
    }

    /// Decodes the next `count` rows (at most `rowsRemaining`) straight into `destination`, which must
    /// hold count × width × channels samples.
    public func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        let n = max(0, min(count, rowsRemaining))
        guard n > 0 else { return }
        if whole == nil && header.orientationApplied {
            // The first upright row can be the last stored column: decode everything, then turn.
            let stored = try decodeStoredRows(storedHeight)
            let image = Image(width: storedWidth, height: storedHeight, channels: header.channels,
                              bitDepth: header.bitDepth, samples: stored)
            whole = header.orientation.applied(to: image)
        }
        if let whole {
            let rowSamples = header.width * header.channels
            whole.samples.withUnsafeBufferPointer { src in
                destination.update(from: src.baseAddress! + delivered * rowSamples, count: n * rowSamples)
            }
        } else {
            try decodeStoredRows(n, into: destination)
        }
        delivered += n
    }

    /// All remaining rows as an `Image` (the whole image when nothing was read yet).
    public func readImage() throws -> Image {
        guard delivered == 0 else {
            throw CodecError(.invalidArgument, source: source,
                             message: "\(delivered) rows were already read; create a new reader to decode the whole image")
        }
        if header.format == .npy, let whole {
            delivered = header.height
            return whole
        }
        let samples = try readRows(header.height)
        return Image(width: header.width, height: header.height, channels: header.channels,
                     bitDepth: header.bitDepth, samples: samples)
    }

    private func decodeStoredRows(_ n: Int) throws -> [Float] {
        try Self.samples(n * storedWidth * header.channels) { try decodeStoredRows(n, into: $0) }
    }

    private func decodeStoredRows(_ n: Int, into destination: UnsafeMutablePointer<Float>) throws {
        guard let handle else { return }
        let status = fm_reader_read_rows_float(handle, destination, UInt32(n))
        guard status == FM_OK else {
            throw Self.error(status, message: String(cString: fm_reader_message(handle)), format: header.format,
                             source: source, width: storedWidth, height: storedHeight, maxPixels: 0)
        }
    }

    /// Turns a shim status and its detail into the one-line error.
    static func error(_ status: fm_status, message detail: String, format: ImageFormat, source: String,
                      width: Int, height: Int, maxPixels: Int) -> CodecError {
        let name = format.displayName
        switch status {
        case FM_ERR_TRUNCATED:
            return CodecError(.truncated, source: source,
                              message: "truncated \(name) data (\(detail)); the file is incomplete or damaged")
        case FM_ERR_TOO_LARGE:
            let pixels = width * height
            return CodecError(.tooLarge, source: source,
                              message: "\(width)×\(height) is \(megapixels(pixels)) megapixels, over the \(megapixels(maxPixels))-megapixel limit; pass --max-pixels \(pixels) to allow it")
        case FM_ERR_UNSUPPORTED:
            return CodecError(.unsupported, source: source,
                              message: "unsupported \(name) (\(detail)); convert it to an 8-bit PNG or a baseline JPEG")
        case FM_ERR_NO_MEMORY:
            return CodecError(.outOfMemory, source: source,
                              message: "not enough memory to decode (\(detail)); try a smaller image")
        case FM_ERR_USAGE:
            return CodecError(.invalidArgument, source: source, message: "decoder misuse (\(detail)); this is a bug in featmap")
        default:
            return CodecError(.corrupt, source: source,
                              message: "corrupt \(name) data (\(detail)); the file is damaged")
        }
    }

    static func megapixels(_ pixels: Int) -> String {
        let value = Double(pixels) / 1_000_000
        if value >= 10 || value == value.rounded() { return String(Int(value.rounded())) }
        var text = String(format: value >= 0.1 ? "%.1f" : "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private static func unrecognised(_ bytes: [UInt8], source: String) -> CodecError {
        let known: [(magic: [UInt8], name: String)] = [
            (Array("GIF8".utf8), "GIF"), (Array("BM".utf8), "BMP"), ([0x49, 0x49, 0x2A, 0x00], "TIFF"),
            ([0x4D, 0x4D, 0x00, 0x2A], "TIFF"), (Array("%PDF".utf8), "PDF"),
        ]
        for (magic, name) in known where bytes.starts(with: magic) {
            return CodecError(.unsupported, source: source,
                              message: "this is a \(name) file, which featmap does not read; convert it to PNG or JPEG")
        }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return CodecError(.unsupported, source: source,
                              message: "this is a WebP file, which featmap does not read; convert it to PNG or JPEG")
        }
        let start = bytes.prefix(4).map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        return CodecError(.notAnImage, source: source,
                          message: "not a PNG, JPEG or NPY file (it starts with \(start)); featmap recognises images by their content, not their extension")
    }

    /// An NPY array as an image: [H, W] is grey, [H, W, C] has C = 1…4 channels. Values are
    /// kept as they are; the bit depth is 16 when any exceeds 255.
    static func image(fromNPY tensor: Tensor, source: String) throws -> Image {
        let shape = tensor.shape
        guard (shape.count == 2 || (shape.count == 3 && (1...4).contains(shape[2]))), shape[0] > 0, shape[1] > 0 else {
            throw CodecError(.unsupported, source: source,
                             message: "an NPY array of shape \(shape) is not an image; expected [H, W] or [H, W, C] with C = 1…4")
        }
        let channels = shape.count == 3 ? shape[2] : 1
        let depth = tensor.storage.contains { $0 > 255 } ? 16 : 8
        return Image(width: shape[1], height: shape[0], channels: channels, bitDepth: depth, samples: tensor.storage)
    }
}
