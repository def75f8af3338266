import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (mmap, MAP_PRIVATE), unmapped when the last reference goes:
/// a model's weights are read straight from the file's pages, with no read into a buffer first.
/// Pages already copied out can be given back (`release`), so that a large model does not keep both its
/// file and its tensors resident.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    /// Maps `path`, which must be a regular, non-empty file.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw ModelError.unreadable(file: path, reason: "cannot be opened (\(reason)); check the path")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ModelError.unreadable(file: path, reason: "cannot be read (\(String(cString: strerror(errno)))); check the path")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            throw ModelError.unreadable(file: path, reason: "is \(what); give an ONNX model (.onnx) or a featmap .weights file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            throw ModelError.unreadable(file: path, reason: "the file is empty (0 bytes); give an ONNX model (.onnx) or a featmap .weights file")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ModelError.unreadable(file: path, reason: "cannot be mapped into memory (\(String(cString: strerror(errno)))); copy it to a local disk")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count) }

    /// The whole file as `Data` without a copy; the mapping lives at least as long as the `Data`.
    var data: Data {
        Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count,
             deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }

    /// Gives the pages wholly inside `range` back to the kernel (MADV_DONTNEED): they leave the resident
    /// set, and a later read maps them in again from the file, unchanged (the mapping is never written).
    func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page, end = range.upperBound / page * page
        guard start < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: bytes.baseAddress! + start), end - start, MADV_DONTNEED)
    }
}
