// One libFuzzer binary for every Swift harness: the harness is the part of the program's name after
// "fuzz-" (Tests/fuzz/run makes symlinks fuzz-kernel, fuzz-npy, …), or FEATMAP_FUZZ_HARNESS.
// Each harness feeds the bytes to the same public entry point the command-line tool uses, and
// accepts any thrown error: only a crash, a hang, a leak or unbounded memory is a finding.
import FeatMapKit
import Foundation
import FuzzDriver

@main
enum FuzzMainEntry {
    static func main() {
        exit(featmap_fuzz_run_driver(CommandLine.argc, CommandLine.unsafeArgv))
    }
}

enum Harness: String, CaseIterable {
    case kernel, npy, safetensors, onnx
}

let selected: Harness = {
    let name = ProcessInfo.processInfo.environment["FEATMAP_FUZZ_HARNESS"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent.replacingOccurrences(of: "fuzz-", with: "")
    guard let h = Harness(rawValue: name) else {
        FileHandle.standardError.write(Data("featmap-fuzz: unknown harness '\(name)'; run it as fuzz-NAME or set FEATMAP_FUZZ_HARNESS to one of \(Harness.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    return h
}()

/// Model files are read through `Model.load(contentsOf:)`, the one public loading path, so the bytes go
/// to a per-process scratch file (in /dev/shm when it exists).
let scratch: URL = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return URL(fileURLWithPath: folder).appendingPathComponent("featmap-fuzz-\(getpid())")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    switch selected {
    case .kernel: fuzzKernel(data)
    case .npy: _ = try? NPY.decode([UInt8](data), source: "fuzz.npy")
    case .safetensors:
        _ = try? SafeTensors(data, file: "fuzz.weights")
        loadAndPrepare(data, suffix: ".weights")
    case .onnx: loadAndPrepare(data, suffix: ".onnx")
    }
    return 0
}

/// The three kernel syntaxes: featmap's text format, a libvips `.mat`, and an inline "RxC: …" spec
/// (as `KernelLibrary` reads them: files must be UTF-8, inline specs are trimmed).
func fuzzKernel(_ data: Data) {
    guard let text = String(data: data, encoding: .utf8) else { return }
    for kernel in [try? KernelParser.parseText(text, file: "fuzz.txt"),
                   try? KernelParser.parseMatrix(text, file: "fuzz.mat"),
                   (try? KernelParser.parseInline(text.trimmingCharacters(in: .whitespaces))) ?? nil] {
        guard let kernel else { continue }
        // What every caller relies on: the size matches the values, and the anchor is inside.
        precondition(kernel.width >= 1 && kernel.height >= 1 && kernel.values.count == kernel.width * kernel.height)
        let a = kernel.effectiveAnchor
        precondition(a.y >= 0 && a.y < kernel.height && a.x >= 0 && a.x < kernel.width, "anchor \(a) outside \(kernel.height)×\(kernel.width)")
    }
}

/// Loading (protobuf or safetensors + architecture JSON, the graph's topological sort and constant
/// folding at load), then shape inference and folding for one input, as `featmap info` / `layers` do.
func loadAndPrepare(_ data: Data, suffix: String) {
    let url = scratch.appendingPathExtension(String(suffix.dropFirst()))
    guard FileManager.default.createFile(atPath: url.path, contents: data) else { fatalError("cannot write \(url.path)") }
    defer { try? FileManager.default.removeItem(at: url) }
    // As --max-memory 1G: constants folded at load and the prepared pass must fit under the fuzzer's 2 GB RSS bound.
    guard let model = try? Model.load(contentsOf: url, memoryLimit: 1 << 30) else { return }
    // Open dimensions take a small size; fixed ones are kept, as the tool keeps them.
    let shape = model.graph.inputShape.map { $0 > 0 ? $0 : 8 }
    guard let prepared = try? model.graph.prepared(inputShape: shape) else { return }
    _ = model.graph.peakActivationBytes(prepared)
}
