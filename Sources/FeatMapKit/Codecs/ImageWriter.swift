import CCodecs
import Foundation

/// Writes an image to an open FILE row band by row band: PNG (8/16-bit) and JPEG through the
/// C shims, NPY as float32 [H, W] or [H, W, C].
///
/// Samples are given in the native units of `bitDepth` (0...255 or 0...65535), rounded to the
/// nearest integer and clamped into the output's range; a 16-bit source written at 8 bits is
/// scaled by 255/65535 and an 8-bit one written at 16 bits by 257. JPEG drops alpha.
/// NPY stores samples as they are.
public final class ImageWriter {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let format: OutputFormat
    public let destination: String
    private let file: UnsafeMutablePointer<FILE>
    private var handle: OpaquePointer?
    private let outputChannels: Int
    private let outputDepth: Int
    private var rowsWritten = 0
    private var finished = false

    /// `pngCompressionLevel`: nil (the default) writes PNG rows in segments, each Up-filtered and
    /// deflated by ISA-L at its level 1 or Paeth-filtered as a Huffman-only block, whichever is
    /// smaller, the fastest choice (docs/benchmark.md); 0…9 goes through libpng and zlib at that
    /// level with the Paeth filter, for smaller files at several times the time.
    public init(file: UnsafeMutablePointer<FILE>, width: Int, height: Int, channels: Int,
                format: OutputFormat, destination: String, pngCompressionLevel: Int? = nil) throws {
        self.file = file
        self.width = width
        self.height = height
        self.channels = channels
        self.format = format
        self.destination = destination
        func invalid(_ what: String) -> CodecError { CodecError(.invalidArgument, source: destination, message: what) }
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw invalid("cannot write a \(width)×\(height) image; both sides must be at least 1")
        }
        guard (1...4).contains(channels) else {
            throw invalid("cannot write \(channels) channels; images have 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)")
        }
        switch format {
        case .png(let depth):
            guard depth == 8 || depth == 16 else { throw invalid("PNG depth \(depth) is not supported; use 8 or 16") }
            if let level = pngCompressionLevel, !(0...9).contains(level) {
                throw invalid("PNG compression level \(level) is out of range; use 0…9")
            }
            outputChannels = channels
            outputDepth = depth
        case .jpeg(let quality):
            guard (1...100).contains(quality) else { throw invalid("JPEG quality \(quality) is out of range; use 1…100") }
            outputChannels = channels >= 3 ? 3 : 1
            outputDepth = 8
        case .npy:
            outputChannels = channels
            outputDepth = 32
        }
        if case .npy = format {
            try writeBytes(NPY.header(shape: channels == 1 ? [height, width] : [height, width, channels]))
            return
        }
        guard let writer = fm_writer_create() else {
            throw CodecError(.outOfMemory, source: destination, message: "not enough memory to start encoding")
        }
        handle = writer
        let status: fm_status
        switch format {
        case .png(let depth):
            status = fm_writer_open_png(writer, file, UInt32(width), UInt32(height), Int32(channels), Int32(depth),
                                         Int32(pngCompressionLevel ?? -1))
        case .jpeg(let quality):
            status = fm_writer_open_jpeg(writer, file, UInt32(width), UInt32(height), Int32(outputChannels), Int32(quality))
        case .npy:
            status = FM_OK
        }
        try check(status)
    }

    deinit {
        if let handle { fm_writer_destroy(handle) }
    }

    /// Writes whole rows: `samples.count` must be a multiple of width × channels.
    public func writeRows(_ samples: [Float], bitDepth: Int) throws {
        try samples.withUnsafeBufferPointer { try writeRows($0, bitDepth: bitDepth) }
    }

    /// The same without copying: rows straight from an image's storage.
    public func writeRows(_ samples: UnsafeBufferPointer<Float>, bitDepth: Int) throws {
        let rowSamples = width * channels
        guard samples.count % rowSamples == 0 else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "\(samples.count) samples are not whole rows of \(width)×\(channels); pass complete rows")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw CodecError(.invalidArgument, source: destination, message: "source bit depth \(bitDepth) is not 8 or 16")
        }
        let rows = samples.count / rowSamples
        guard rows <= height - rowsWritten, !finished else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "\(rows) rows given but only \(height - rowsWritten) of \(height) are left to write")
        }
        guard rows > 0, let src = samples.baseAddress else { return }
        let count = rows * width * outputChannels
        switch outputDepth {
        case 32:
            var bytes = [UInt8](repeating: 0, count: count * 4)
            bytes.withUnsafeMutableBytes { out in
                for i in 0..<count { out.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            }
            try writeBytes(bytes)
        default:
            // 16 → 8 bits: × 255/65535; 8 → 16 bits: × 257 (so 255 ↦ 65535).
            let scale: Float = bitDepth == outputDepth ? 1 : (outputDepth == 16 ? 257 : 255.0 / 65535.0)
            try check(fm_writer_write_rows_float(handle, src, UInt32(rows), Int32(channels), scale))
        }
        rowsWritten += rows
    }

    /// Writes whole rows of 8-bit samples that already have the output's channels (no alpha for JPEG).
    public func writeRows(bytes samples: UnsafeBufferPointer<UInt8>) throws {
        guard outputDepth == 8, channels == outputChannels else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "8-bit rows need an 8-bit output with \(channels) channels; this is a bug in featmap")
        }
        let rowSamples = width * channels
        guard samples.count % rowSamples == 0 else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "\(samples.count) samples are not whole rows of \(width)×\(channels); pass complete rows")
        }
        let rows = samples.count / rowSamples
        guard rows <= height - rowsWritten, !finished else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "\(rows) rows given but only \(height - rowsWritten) of \(height) are left to write")
        }
        guard rows > 0, let src = samples.baseAddress else { return }
        try check(fm_writer_write_rows(handle, src, UInt32(rows)))
        rowsWritten += rows
    }

    /// Completes the file once every row is written. The FILE stays open: closing it is the caller's.
    public func finish() throws {
        guard !finished else { return }
        guard rowsWritten == height else {
            throw CodecError(.invalidArgument, source: destination,
                             message: "only \(rowsWritten) of \(height) rows were written; write them all before finishing")
        }
        if let handle { try check(fm_writer_finish(handle)) }
        guard fflush(file) == 0 else { throw Self.ioError(destination, errno) }
        finished = true
    }

    private func check(_ status: fm_status) throws {
        guard status != FM_OK else { return }
        let detail = handle.map { String(cString: fm_writer_message($0)) } ?? ""
        switch status {
        case FM_ERR_IO: throw Self.ioError(destination, errno, detail: detail)
        case FM_ERR_NO_MEMORY:
            throw CodecError(.outOfMemory, source: destination, message: "not enough memory to encode (\(detail))")
        default:
            throw CodecError(.invalidArgument, source: destination, message: "cannot encode (\(detail)); this is a bug in featmap")
        }
    }

    private func writeBytes(_ bytes: [UInt8]) throws {
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
        guard written == bytes.count else { throw Self.ioError(destination, errno) }
    }

    static func ioError(_ destination: String, _ code: Int32, detail: String = "") -> CodecError {
        let reason = code != 0 ? String(cString: strerror(code)) : (detail.isEmpty ? "write error" : detail)
        return CodecError(.writeFailed, source: destination,
                          message: "cannot write the file (\(reason)); check free space and permissions")
    }
}
