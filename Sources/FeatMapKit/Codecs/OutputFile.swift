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
        // Creating and registering a temporary file is one step under the gate, so that a
        // stop (Ctrl-C) never misses a file created just before it.
        creationGate.lock()
        guard !creationGate.stopping else {
            creationGate.unlock()
            throw CodecError(.writeFailed, source: path, message: "not written: featmap is stopping")
        }
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if fd >= 0 { _ = fm_pending_add(temporary) }
        creationGate.unlock()
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CodecError(.writeFailed, source: path,
                             message: "cannot create a file in \(folder.isEmpty ? "the current folder" : folder) (\(reason)); check that the folder exists and is writable")
        }
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

    /// For a stop on a signal, from an ordinary thread (not a signal handler): no temporary file
    /// is created from now on, and every one being written is removed. Never returns the gate,
    /// so call it only on the way out.
    public static func stopAndRemovePendingTemporaryFiles() {
        creationGate.lock()
        creationGate.stopping = true
        fm_pending_unlink_all()
    }

    /// umask(2) can only be read by setting it; done once, before any worker threads write.
    private static let currentUmask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()
}

/// The lock that makes "create a temporary file and register it" atomic against a stop.
private final class CreationGate: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    var stopping = false
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}

private let creationGate = CreationGate()
