#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension OutputFile {
    /// Writes `bytes` atomically to `path` (complete or not at all, see `write(to:_:)`; "-" is standard output).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { file in try put(bytes, into: file, path: path) }
    }

    /// Writes `bytes` into an output `write(to:_:)` opened for `path`; a short write (a full disk) throws.
    public static func put(_ bytes: UnsafeRawBufferPointer, into file: UnsafeMutablePointer<FILE>, path: String) throws {
        let written = bytes.isEmpty ? 0 : fwrite(bytes.baseAddress, 1, bytes.count, file)
        guard written == bytes.count else {
            throw ModelError.unreadable(file: path, reason: "could not be written (disk full?)")
        }
    }

    /// `put` for an array of bytes.
    public static func put(_ bytes: [UInt8], into file: UnsafeMutablePointer<FILE>, path: String) throws {
        try bytes.withUnsafeBytes { try put($0, into: file, path: path) }
    }
}
