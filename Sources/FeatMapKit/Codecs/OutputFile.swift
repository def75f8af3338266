import CCodecs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic output: the body writes to a hidden temporary file beside the target
/// (`.NAME.featmap-XXXXXX`), which is renamed over the target only when everything, including
/// fflush and fclose, succeeded; on any failure it is removed, so no partial file is left.
/// "-" writes to standard output instead.
public enum OutputFile {
    public static func write(to path: String, _ body: (UnsafeMutablePointer<FILE>) throws -> Void) throws {
        if path == "-" {
            let out: UnsafeMutablePointer<FILE> = fm_stdout()
            try body(out)
            guard fflush(out) == 0 else { throw ImageWriter.ioError("standard output", errno) }
            return
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else {
            throw CodecError(.writeFailed, source: path, message: "names a folder, not a file; add a file name such as out.png")
        }
        var template = Array((folder + "." + name + ".featmap-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CodecError(.writeFailed, source: path,
                             message: "cannot create a file in \(folder.isEmpty ? "the current folder" : folder) (\(reason)); check that the folder exists and is writable")
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = fm_pending_add(temporary)
        // mkstemp makes the file 0600; give it the mode a plain fopen would have.
        _ = fchmod(fd, 0o666 & ~currentUmask)
        var file = fdopen(fd, "wb")
        func abandon() {
            if let f = file { fclose(f) } else { close(fd) }
            file = nil
            unlink(temporary)
            fm_pending_remove(temporary)
        }
        guard let stream = file else {
            let error = ImageWriter.ioError(path, errno)
            abandon()
            throw error
        }
        do {
            try body(stream)
        } catch {
            abandon()
            throw error
        }
        let flushed = fflush(stream) == 0
        let flushErrno = errno
        file = nil
        let closed = fclose(stream) == 0
        let closeErrno = errno
        guard flushed, closed else {
            unlink(temporary)
            fm_pending_remove(temporary)
            throw ImageWriter.ioError(path, flushed ? closeErrno : flushErrno)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            fm_pending_remove(temporary)
            throw CodecError(.writeFailed, source: path,
                             message: "cannot replace the file (\(reason)); check that the path is not a folder and is writable")
        }
        fm_pending_remove(temporary)
    }

    /// Removes every temporary file still being written. Safe to call from a SIGINT/SIGTERM
    /// handler: it only reads fixed slots and calls unlink(2).
    public static func removePendingTemporaryFiles() {
        fm_pending_unlink_all()
    }

    /// umask(2) can only be read by setting it; done once, before any worker threads write.
    private static let currentUmask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()
}
