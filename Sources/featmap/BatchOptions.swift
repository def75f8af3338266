import Foundation
import ArgumentParser
import FeatMapKit
#if canImport(Glibc)
import Glibc
#endif

/// Where the images of one call come from.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Images (PNG or JPEG, detected by content), folders, or - for standard input.", valueName: "input"))
    var inputs: [String] = []

    @Flag(name: .shortAndLong, help: "Descend into folders given as inputs.")
    var recursive = false

    @Option(name: .customLong("files-from"), help: ArgumentHelp("Read input paths from FILE, one per line (- for standard input).", valueName: "file"))
    var filesFrom: String?

    @Flag(name: .customShort("0"), help: "With --files-from: names are separated by NUL bytes (find -print0).")
    var nulSeparated = false

    @Option(name: .customLong("max-pixels"), help: "Refuse images with more pixels than this, checked from the header.")
    var maxPixels: Int = 256_000_000

    func inputList() throws -> [String] {
        let list = try InputList(arguments: inputs, recursive: recursive, filesFrom: filesFrom, nulSeparated: nulSeparated)
        guard !list.paths.isEmpty else { throw BatchError.noInputs }
        return list.paths
    }

    /// The inputs of a command that writes one picture per input, with -o (one input only) or
    /// --out-dir (which must exist). Failures print one line and exit 1 (or 64 for -o misuse).
    func pictureInputs(output: String?, outDir: String?) throws -> [String] {
        let paths: [String]
        do {
            paths = try inputList()
            if let outDir { try makeOutputFolder(outDir) }
        } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        if output != nil && paths.count > 1 {
            throw ValidationError("-o names one picture but there are \(paths.count) inputs; use --out-dir instead")
        }
        return paths
    }

    var decodeOptions: DecodeOptions {
        var o = DecodeOptions()
        o.maxPixels = maxPixels
        return o
    }

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
        if nulSeparated && filesFrom == nil { throw ValidationError("-0 goes with --files-from") }
    }
}

/// How a batch runs and reports.
struct RunOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Files processed in parallel (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Print one JSON line per input as it finishes (input, outputs, size, timing, statistics or error).")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Option(help: ArgumentHelp("""
        Process only the K-th of N parts of the input list (1 ≤ K ≤ N), for job arrays and hosts that share no \
        coordinator: input i (counting from 0 in the order given, folders expanded sorted) goes to part i mod N + 1, \
        so parts differ by at most one input. Give every part the same list in the same order; output names are \
        those of the whole list.
        """, valueName: "K/N"))
    var shard: String?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
    }

    /// The part of the input list this run processes (all of it without --shard).
    var selectedShard: Shard { shard.flatMap { try? Shard(parsing: $0) } ?? .all }

    var workerCount: Int { jobs ?? Terminal.coreCount }
}

/// Where results go.
struct OutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (- for standard output); only with a single input.", valueName: "path"))
    var output: String?

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for the outputs of many inputs.", valueName: "dir"))
    var outDir: String?

    @Option(help: ArgumentHelp("Output name template; fields {stem} {name} {ext} {kernel} {index} {dir}.", valueName: "template"))
    var name: String?

    @Option(help: ArgumentHelp("Output format: png, jpeg or npy (default: from the output's extension, else png).", valueName: "format"))
    var format: String?

    @Option(help: "PNG bits per sample, 8 or 16 (default: the input's precision).")
    var depth: Int?

    @Option(help: "JPEG quality, 1 to 100.")
    var quality: Int = 92

    @Flag(name: .customLong("no-clobber"), help: "Keep existing output files instead of overwriting them.")
    var noClobber = false

    func validate() throws {
        if let depth, depth != 8 && depth != 16 { throw ValidationError("--depth must be 8 or 16") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100") }
        if let format, OutputOptions.parseFormat(format) == nil { throw ValidationError("unknown --format '\(format)'; use png, jpeg or npy") }
        if output != nil && outDir != nil { throw ValidationError("-o and --out-dir do not go together; use --out-dir with --name for many outputs") }
    }


    static func parseFormat(_ s: String) -> ImageFormat? {
        switch s.lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        case "npy": return .npy
        default: return nil
        }
    }

    /// The format of the outputs: --format, else the extension of -o, else PNG.
    var chosenFormat: ImageFormat {
        if let format, let f = OutputOptions.parseFormat(format) { return f }
        if let output, output != "-", let f = ImageFormat.fromExtension(output) { return f }
        if let name, let f = ImageFormat.fromExtension(name.replacingOccurrences(of: "{ext}", with: "")) { return f }
        return .png
    }

    static func fileExtension(_ f: ImageFormat) -> String {
        switch f { case .png: "png"; case .jpeg: "jpg"; case .npy: "npy" }
    }

    /// The path each input's result goes to.
    func destinations(for inputs: [String], kernel: String) throws -> [String] {
        if let output {
            guard inputs.count == 1 else {
                throw ValidationError("-o names one output but there are \(inputs.count) inputs; use --out-dir (and --name) instead")
            }
            return [output]
        }
        if let outDir { try makeOutputFolder(outDir) }
        let naming = OutputNaming(template: name ?? OutputNaming.defaultTemplate, folder: outDir, inputs: inputs)
        let ext = OutputOptions.fileExtension(chosenFormat)
        return inputs.indices.map { naming.name(forInputAt: $0, path: inputs[$0], ext: ext, kernel: kernel) }
    }
}
