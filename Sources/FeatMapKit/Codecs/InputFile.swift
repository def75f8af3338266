import CCodecs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an input file whole: a path, or "-" for standard input.
public enum InputFile {
    public static func read(_ path: String) throws -> [UInt8] {
        let name = CodecError.displayName(path)
        if path == "-" { return try readAll(fm_stdin(), name: name) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(name, errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw CodecError(.unreadable, source: name, message: "is a folder, not a file; give the path of an image file")
        }
        guard let file = fopen(path, "rb") else { throw failure(name, errno) }
        defer { fclose(file) }
        return try readAll(file, name: name, expected: Int(info.st_size))
    }

    private static func readAll(_ file: UnsafeMutablePointer<FILE>, name: String, expected: Int = 0) throws -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(max(0, expected))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[0..<n])
            if n < chunk.count {
                if ferror(file) != 0 { throw failure(name, errno) }
                return bytes
            }
        }
    }

    private static func failure(_ name: String, _ code: Int32) -> CodecError {
        let hint: String
        switch code {
        case ENOENT: hint = "no such file; check the path"
        case EACCES: hint = "permission denied; check the file's permissions"
        case EISDIR: hint = "is a folder, not a file; give the path of an image file"
        default: hint = "cannot read (\(String(cString: strerror(code)))); check the path"
        }
        return CodecError(.unreadable, source: name, message: hint)
    }
}
