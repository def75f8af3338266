import CCodecs
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic output: a file appears under its name only when it is complete.
///
/// The body writes into an unnamed file in the target's folder (O_TMPFILE), which is linked under its
/// name (`linkat`) only when everything, fflush included, succeeded. An existing output is replaced by
/// linking the new file under a unique hidden name and renaming that over it. So after a failure, a
/// Ctrl-C or a `kill -9` at any moment the folder holds only complete outputs: an unnamed file that is
/// never linked vanishes with its process. Where O_TMPFILE is unsupported (some file systems, non-Linux
/// kernels) the file is written under a hidden name and renamed into place; such names carry the
/// writer's PID (`.NAME.featmap-PID-XXXXXX`), and the first write of a process into a folder removes
/// the ones left by featmap processes that no longer run (same owner, PID not alive).
/// "-" writes to standard output instead.
public enum OutputFile {
    /// False: always the hidden-name fallback (tests of the fallback on file systems that have O_TMPFILE).
    nonisolated(unsafe) static var usesUnnamedFiles = true

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
        removeStaleTemporaries(in: folder)
        let hiddenPrefix = folder + "." + name + ".featmap-\(getpid())-"
        // Creating and registering a named temporary file is one step under the gate, so that a
        // stop (Ctrl-C) never misses a file created just before it.
        creationGate.lock()
        guard !creationGate.stopping else {
            creationGate.unlock()
            throw CodecError(.writeFailed, source: path, message: "not written: featmap is stopping")
        }
        var fd = usesUnnamedFiles ? fm_open_unnamed(folder.isEmpty ? "." : folder) : -1
        var temporary: String? = nil
        if fd < 0 {
            var template = Array((hiddenPrefix + "XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 {
                let t = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                _ = fm_pending_add(t)
                temporary = t
                // mkstemp makes the file 0600; give it the mode a plain fopen would have.
                _ = fchmod(fd, 0o666 & ~currentUmask)
            }
        }
        creationGate.unlock()
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CodecError(.writeFailed, source: path,
                             message: "cannot create a file in \(folder.isEmpty ? "the current folder" : folder) (\(reason)); check that the folder exists and is writable")
        }
        var file = fdopen(fd, "wb")
        func forget(_ t: String?) {
            guard let t else { return }
            unlink(t)
            fm_pending_remove(t)
        }
        func abandon() {
            if let f = file { fclose(f) } else { close(fd) }
            file = nil
            forget(temporary)
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
        guard fflush(stream) == 0 else {
            let error = ImageWriter.ioError(path, errno)
            abandon()
            throw error
        }
        if temporary == nil {
            // The unnamed file gets its name while its descriptor is still open (closing it first
            // would free it). A name already taken: link under a unique hidden name, rename over.
            if fm_link_unnamed(fd, path) != 0 {
                guard errno == EEXIST else {
                    let error = CodecError(.writeFailed, source: path, message: "cannot create the file (\(String(cString: strerror(errno)))); check that the folder is writable")
                    abandon()
                    throw error
                }
                temporary = try linkHidden(fd, prefix: hiddenPrefix, path: path, abandon: abandon)
            }
        }
        file = nil
        guard fclose(stream) == 0 else {
            let error = ImageWriter.ioError(path, errno)
            forget(temporary)
            if temporary == nil { unlink(path) }
            throw error
        }
        if let temporary {
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                forget(temporary)
                throw CodecError(.writeFailed, source: path,
                                 message: "cannot replace the file (\(reason)); check that the path is not a folder and is writable")
            }
            fm_pending_remove(temporary)
        }
    }

    /// Links the unnamed file `fd` under a fresh hidden name beside `path` (registered, so that a stop
    /// removes it) and returns that name.
    private static func linkHidden(_ fd: Int32, prefix: String, path: String, abandon: () -> Void) throws -> String {
        for attempt in 0..<100 {
            let candidate = prefix + String(UInt32.random(in: 0...UInt32.max) ^ UInt32(attempt), radix: 36)
            creationGate.lock()
            let linked = !creationGate.stopping && fm_link_unnamed(fd, candidate) == 0
            let failure = errno
            if linked { _ = fm_pending_add(candidate) }
            creationGate.unlock()
            if linked { return candidate }
            guard failure == EEXIST else {
                abandon()
                throw CodecError(.writeFailed, source: path, message: "cannot replace the file (\(String(cString: strerror(failure)))); check that the folder is writable")
            }
        }
        abandon()
        throw CodecError(.writeFailed, source: path, message: "cannot find a free temporary name beside it")
    }

    /// Folders already cleaned by this process.
    nonisolated(unsafe) private static var cleanedFolders: Set<String> = []

    /// Removes the hidden temporary files (`.NAME.featmap-PID-XXXXXX`) that featmap processes which no
    /// longer run left in `folder` (a crash or `kill -9` during the fallback's write): only files of
    /// this user whose PID is not alive. Once per folder per process.
    static func removeStaleTemporaries(in folder: String) {
        creationGate.lock()
        let first = cleanedFolders.insert(folder).inserted
        creationGate.unlock()
        guard first, let dir = opendir(folder.isEmpty ? "." : folder) else { return }
        defer { closedir(dir) }
        let me = getuid()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix("."), let marker = name.range(of: ".featmap-", options: .backwards) else { continue }
            let rest = name[marker.upperBound...].split(separator: "-")
            guard rest.count == 2, let pid = Int32(rest[0]), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let full = folder + name
            var info = stat()
            guard lstat(full, &info) == 0, info.st_uid == me, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            unlink(full)
        }
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
