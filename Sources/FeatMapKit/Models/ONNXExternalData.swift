import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tensors an ONNX model keeps outside its protobuf (`onnx.save_model(..., save_as_external_data=True)`,
/// and every model over protobuf's 2 GB): a TensorProto with data_location EXTERNAL and external_data
/// entries `location` (a path relative to the model's folder), `offset` and `length` in bytes (`checksum`
/// is not checked). Only files inside the model's folder are read: a location that is absolute, has a
/// `..` component or resolves (symlinks included) outside the folder is refused, as is a byte range that
/// leaves the file or does not hold exactly the tensor's bytes.
final class ONNXExternalData {
    let model: String
    /// The model's folder as given, and with its symlinks resolved.
    let folder: String
    /// Each data file opened, mapped (nil for an empty file, which cannot be mapped).
    private var files: [String: MappedFile?] = [:]

    init(modelFile: String) {
        model = modelFile
        folder = URL(fileURLWithPath: modelFile).deletingLastPathComponent().path
    }

    /// The raw little-endian bytes of tensor `t`, `expected` of them, in the mapped data file.
    func bytes(of t: Onnx_TensorProto, expected: Int) throws -> ONNXReader.RawSource {
        func fail(_ reason: String) -> ModelError { .badTensor(file: model, tensor: t.name, reason: reason) }
        var entries: [String: String] = [:]
        for e in t.externalData { entries[e.key] = e.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw fail("keeps its data in an external file but names none (no external_data 'location'); save the model again with onnx.save_model(..., save_as_external_data=True)")
        }
        func number(_ key: String) throws -> Int? {
            guard let text = entries[key] else { return nil }
            guard let v = Int(text), v >= 0 else {
                throw fail("has external_data '\(key)' = '\(text)', not a byte count; the file is damaged")
            }
            return v
        }
        let offset = try number("offset") ?? 0
        let length = try number("length")
        if location.hasPrefix("/") {
            throw fail("keeps its data at the absolute path '\(location)', which featmap refuses: external data must be a relative path inside the model's folder \(folder)")
        }
        if location.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw fail("keeps its data at '\(location)', which contains '..' and so may leave the model's folder; featmap refuses it: external data must be a relative path inside \(folder)")
        }
        let path = (folder as NSString).appendingPathComponent(location)
        guard let real = ONNXExternalData.resolved(path) else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw fail("keeps its data in '\(location)', which cannot be opened (\(reason)); put that file beside the model in \(folder)")
        }
        guard let base = ONNXExternalData.resolved(folder) else {
            throw fail("keeps its data beside the model, but the model's folder \(folder) cannot be resolved")
        }
        guard real.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
            throw fail("keeps its data in '\(location)', which resolves to \(real), outside the model's folder \(base) (through a symbolic link); featmap refuses it: copy the data file into the model's folder")
        }
        let data: MappedFile?
        if let cached = files[real] {
            data = cached
        } else {
            var info = stat()
            guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                throw fail("keeps its data in '\(location)', which is not a regular file")
            }
            do { data = info.st_size == 0 ? nil : try MappedFile(path: real) } catch {
                throw fail("keeps its data in '\(location)', which cannot be read (\(error))")
            }
            files[real] = data
        }
        if let length, length != expected {
            throw fail("has external_data length \(length) bytes, but its shape \(t.dims.map { Int($0) }) needs \(expected); the model and its data file do not belong together")
        }
        let (end, overflow) = offset.addingReportingOverflow(expected)
        let size = data?.bytes.count ?? 0
        guard !overflow, offset <= size, end <= size else {
            throw fail("needs bytes \(offset)…\(overflow ? Int.max : end) of '\(location)', which has \(size) bytes: the data file is truncated or does not belong to this model")
        }
        guard let data else { return .message(Data()) }
        return .mapped(MappedBytes(file: data, range: offset..<end))
    }

    /// The path with every symbolic link resolved (realpath), or nil with errno set.
    static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Bytes per element of an ONNX data type featmap widens, or nil.
    static func elementSize(_ type: Int32) -> Int? {
        [1: 4, 10: 2, 16: 2, 11: 8, 7: 8, 6: 4, 5: 2, 3: 1, 2: 1, 4: 2, 9: 1][Int(type)]
    }
}
