#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-image encoding; see `ImageWriter` for the sample conversions.
public enum ImageEncoder {
    /// Writes `image` to an open FILE. `.npy` writes float32 [H, W] (grey) or [H, W, C], samples as they are.
    public static func encode(_ image: Image, as format: OutputFormat, to file: UnsafeMutablePointer<FILE>,
                              destination: String, pngCompressionLevel: Int? = nil) throws {
        let writer = try ImageWriter(file: file, width: image.width, height: image.height, channels: image.channels,
                                     format: format, destination: destination, pngCompressionLevel: pngCompressionLevel)
        // Bands of rows keep the converted copy small.
        let band = max(1, 1 << 20 / max(1, image.width * image.channels))
        let rowSamples = image.width * image.channels
        try image.samples.withUnsafeBufferPointer { all in
            var y = 0
            while y < image.height {
                let n = min(band, image.height - y)
                try writer.writeRows(UnsafeBufferPointer(rebasing: all[y * rowSamples ..< (y + n) * rowSamples]),
                                     bitDepth: image.bitDepth)
                y += n
            }
        }
        try writer.finish()
    }

    /// The file bytes of `image` in `format`, encoded into memory (pictures embedded in SVG or HTML).
    public static func encoded(_ image: Image, as format: OutputFormat) throws -> [UInt8] {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        guard let file = open_memstream(&buffer, &size) else {
            throw CodecError(.writeFailed, source: "memory", message: "cannot open a memory stream (out of memory?)")
        }
        defer { free(buffer) }
        do {
            try encode(image, as: format, to: file, destination: "an embedded picture")
        } catch {
            fclose(file)
            throw error
        }
        // fclose makes buffer and size final.
        guard fclose(file) == 0, let buffer else {
            throw CodecError(.writeFailed, source: "memory", message: "cannot finish an embedded picture (out of memory?)")
        }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
    }

    /// Writes `image` atomically to `path` ("-" = standard output).
    public static func write(_ image: Image, as format: OutputFormat, to path: String, pngCompressionLevel: Int? = nil) throws {
        try OutputFile.write(to: path) { file in
            try encode(image, as: format, to: file, destination: CodecError.displayName(path),
                       pngCompressionLevel: pngCompressionLevel)
        }
    }
}
