import Foundation

/// Turns what a user types after `featmap apply` into a filter: a built-in name with parameters
/// ("gaussian:2", "unsharp:1.5:2"), a kernel file (featmap's .txt format or a libvips .mat), or an
/// inline matrix ("3x3: 0 -1 0 -1 5 -1 0 -1 0").
public enum KernelLibrary {
    /// Name, usage with parameters, and one line of description of every built-in, in listing order.
    public static var builtins: [(name: String, usage: String, summary: String)] {
        entries.map { ($0.name, $0.usage, $0.summary) }
    }

    /// The largest size a parametric kernel may have; 1025 taps is far past any useful blur.
    public static let maximumSize = 1025
    /// The largest kernel file read.
    static let maximumFileBytes: Int64 = 16_000_000

    /// Resolves `spec`, in this order: inline "ROWSxCOLS: …", an existing file, a built-in name.
    public static func resolve(_ spec: String) throws -> ClassicFilter {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if let kernel = try KernelParser.parseInline(trimmed) {
            return ClassicFilter(kernel: kernel, summary: "inline \(kernel.height)×\(kernel.width) kernel")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: trimmed, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else {
                throw KernelError("\(trimmed) is a directory; give a kernel file such as \(trimmed)/sobel-x.txt")
            }
            return try loadFile(trimmed)
        }
        if trimmed.hasSuffix(".txt") || trimmed.hasSuffix(".mat") || trimmed.contains("/") {
            throw KernelError("no kernel file at \(trimmed); check the path, or run `featmap kernels` for built-in names")
        }
        return try builtin(trimmed)
    }

    /// Reads a kernel file: `.mat` as libvips matrix, anything else as featmap's text format.
    public static func loadFile(_ path: String) throws -> ClassicFilter {
        // 1025×1025 numbers of a dozen characters each fit in 16 MB; a larger file is refused unread.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.int64Value > maximumFileBytes {
            throw KernelError("the file is \(size.int64Value / 1_000_000) MB, over the \(maximumFileBytes / 1_000_000) MB a kernel file may hold "
                              + "(kernels are at most \(maximumSize)×\(maximumSize)); check that this is a kernel file", file: path)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KernelError("cannot read the kernel file (\(error.localizedDescription)); check the path and permissions",
                              file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KernelError("not a text file; a kernel file holds rows of numbers (see docs/kernel-format.md)", file: path)
        }
        let kernel = path.lowercased().hasSuffix(".mat")
            ? try KernelParser.parseMatrix(text, file: path) : try KernelParser.parseText(text, file: path)
        return ClassicFilter(kernel: kernel, summary: "\(kernel.height)×\(kernel.width) kernel from \(path)")
    }

    /// The kernel files (.txt and .mat) directly inside `directory`, as paths sorted by name; empty
    /// when the directory does not exist.
    public static func fileKernels(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return names.filter { ($0.hasSuffix(".txt") || $0.hasSuffix(".mat")) && !$0.hasPrefix(".") }
            .sorted().map { "\(base)/\($0)" }
    }

    /// A built-in by name, with its parameters after colons.
    public static func builtin(_ spec: String) throws -> ClassicFilter {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let name = parts[0].lowercased()
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw KernelError(unknownNameMessage(name))
        }
        let parameters = Array(parts.dropFirst())
        return try entry.make(Arguments(usage: entry.usage, values: parameters))
    }

    /// "unknown kernel 'sobelx'; did you mean sobel-x, sobel? …"
    static func unknownNameMessage(_ name: String) -> String {
        // Hyphens and underscores ignored as well, so "sobelx" and "sobel_x" are 0 away from sobel-x.
        let bare = { (s: String) in s.filter { $0 != "-" && $0 != "_" } }
        let ranked = entries.map { (name: $0.name, distance: min(editDistance(name, $0.name),
                                                                  editDistance(bare(name), bare($0.name)))) }
            .filter { $0.distance <= max(2, $0.name.count / 3) || ($0.name.hasPrefix(name) && name.count >= 3) }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
            .prefix(3).map(\.name)
        let guess = ranked.isEmpty ? "" : "did you mean \(ranked.joined(separator: ", "))? "
        return "unknown kernel '\(name)'; \(guess)run `featmap kernels` for the built-in names, or give a kernel file "
            + "(.txt or .mat) or an inline matrix like '3x3: 0 -1 0 -1 5 -1 0 -1 0'"
    }

    /// Levenshtein distance: insertions, deletions and substitutions each cost 1.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: the table

    struct Entry: Sendable {
        var name: String
        var usage: String
        var summary: String
        var make: @Sendable (Arguments) throws -> ClassicFilter
    }

    /// Parameters after the name, checked against the usage so errors can quote it.
    struct Arguments {
        var usage: String
        var values: [String]

        func count(_ range: ClosedRange<Int>) throws {
            guard range.contains(values.count) else {
                let name = usage.split(separator: ":").first.map(String.init) ?? usage
                if range.upperBound == 0 {
                    throw KernelError("\(name) takes no parameters; write just '\(name)'")
                }
                throw KernelError("\(name) takes \(range.lowerBound == range.upperBound ? "" : "\(range.lowerBound) to ")"
                                  + "\(range.upperBound) parameter\(range.upperBound == 1 ? "" : "s"): \(usage), "
                                  + "e.g. \(example(name))")
            }
        }

        func positive(_ i: Int, _ what: String) throws -> Double {
            guard let v = Double(values[i]), v.isFinite, v > 0 else {
                throw KernelError("\(what) in \(usage) must be a positive number, got '\(values[i])'")
            }
            guard Kernel.defaultSize(sigma: v) <= KernelLibrary.maximumSize || what != "SIGMA" else {
                throw KernelError("SIGMA \(values[i]) needs more than \(KernelLibrary.maximumSize) taps; use SIGMA ≤ 170")
            }
            return v
        }

        func number(_ i: Int, _ what: String) throws -> Double {
            guard let v = Double(values[i]), v.isFinite else {
                throw KernelError("\(what) in \(usage) must be a number, got '\(values[i])'")
            }
            return v
        }

        func size(_ i: Int, odd: Bool) throws -> Int {
            guard let n = Int(values[i]), n >= 1, n <= KernelLibrary.maximumSize, !odd || n % 2 == 1 else {
                throw KernelError("the size in \(usage) must be a\(odd ? "n odd" : "") whole number from 1 to "
                                  + "\(KernelLibrary.maximumSize), got '\(values[i])'")
            }
            return n
        }

        func example(_ name: String) -> String {
            switch name {
            case "box": return "box:5"
            case "gaussian": return "gaussian:2 or gaussian:2:13"
            case "unsharp": return "unsharp:1.5:2"
            case "log": return "log:1.4 or log:1.4:9"
            default: return name
            }
        }
    }

    static func fixed(_ name: String, _ kernel: Kernel, _ mode: ResponseMode, _ summary: String) -> Entry {
        Entry(name: name, usage: name, summary: summary) { args in
            try args.count(0...0)
            return ClassicFilter(name: name, kernels: [kernel], defaultMode: mode, summary: summary)
        }
    }

    static func magnitude(_ name: String, _ x: Kernel, _ y: Kernel, _ summary: String) -> Entry {
        Entry(name: name, usage: name, summary: summary) { args in
            try args.count(0...0)
            return ClassicFilter(name: name, kernels: [x, y], combinesMagnitude: true, defaultMode: .clamp,
                                 summary: summary)
        }
    }

    static let entries: [Entry] = [
        fixed("identity", .identity, .clamp, "leaves the image as it is (a 3×3 with 1 in the centre)"),
        Entry(name: "box", usage: "box:N", summary: "N×N mean blur, every weight 1/N²") { args in
            try args.count(1...1)
            let n = try args.size(0, odd: false)
            let k = Kernel.box(n)
            return ClassicFilter(name: k.name, kernels: [k], defaultMode: .clamp, summary: "\(n)×\(n) mean blur")
        },
        Entry(name: "gaussian", usage: "gaussian:SIGMA[:SIZE]",
              summary: "Gaussian blur, normalised; SIZE (odd) defaults to 2·⌈3σ⌉+1") { args in
            try args.count(1...2)
            let sigma = try args.positive(0, "SIGMA")
            let size = args.values.count > 1 ? try args.size(1, odd: true) : nil
            let k = Kernel.gaussian(sigma: sigma, size: size)
            return ClassicFilter(name: k.name, kernels: [k], defaultMode: .clamp,
                                 summary: "\(k.height)×\(k.width) Gaussian blur, σ = \(Kernel.format(sigma))")
        },
        fixed("sharpen", .sharpen, .clamp, "sharpens: 0 −1 0 / −1 5 −1 / 0 −1 0"),
        Entry(name: "unsharp", usage: "unsharp:AMOUNT:SIGMA",
              summary: "unsharp mask (1+AMOUNT)·δ − AMOUNT·Gaussian(SIGMA)") { args in
            try args.count(2...2)
            let amount = try args.number(0, "AMOUNT")
            let sigma = try args.positive(1, "SIGMA")
            let k = Kernel.unsharp(amount: amount, sigma: sigma)
            return ClassicFilter(name: k.name, kernels: [k], defaultMode: .clamp,
                                 summary: "unsharp mask, amount \(Kernel.format(amount)), σ = \(Kernel.format(sigma))")
        },
        magnitude("sobel", .sobelX, .sobelY, "Sobel gradient magnitude √(gx² + gy²)"),
        fixed("sobel-x", .sobelX, .abs, "Sobel d/dx: vertical edges (as cv2.Sobel dx=1)"),
        fixed("sobel-y", .sobelY, .abs, "Sobel d/dy: horizontal edges (as cv2.Sobel dy=1)"),
        magnitude("scharr", .scharrX, .scharrY, "Scharr gradient magnitude √(gx² + gy²)"),
        fixed("scharr-x", .scharrX, .abs, "Scharr d/dx, more rotation-invariant than Sobel (as cv2.Scharr)"),
        fixed("scharr-y", .scharrY, .abs, "Scharr d/dy"),
        magnitude("prewitt", .prewittX, .prewittY, "Prewitt gradient magnitude √(gx² + gy²)"),
        fixed("prewitt-x", .prewittX, .abs, "Prewitt d/dx: columns −1 0 1, unweighted rows"),
        fixed("prewitt-y", .prewittY, .abs, "Prewitt d/dy"),
        fixed("laplacian", .laplacian, .abs, "4-neighbour Laplacian: 0 1 0 / 1 −4 1 / 0 1 0"),
        fixed("laplacian8", .laplacian8, .abs, "8-neighbour Laplacian: 1 all round, −8 in the centre"),
        Entry(name: "log", usage: "log:SIGMA[:SIZE]",
              summary: "Laplacian of Gaussian (MATLAB's fspecial('log')), zero-sum; SIZE defaults to 2·⌈3σ⌉+1") { args in
            try args.count(1...2)
            let sigma = try args.positive(0, "SIGMA")
            let size = args.values.count > 1 ? try args.size(1, odd: true) : nil
            let k = Kernel.laplacianOfGaussian(sigma: sigma, size: size)
            // Normalize, not abs: LoG responses shrink as 1/σ² (max ≈ 5 grey levels at σ = 3 on a photo),
            // so any fixed map is black beyond σ ≈ 2.
            return ClassicFilter(name: k.name, kernels: [k], defaultMode: .normalize,
                                 summary: "\(k.height)×\(k.width) Laplacian of Gaussian, σ = \(Kernel.format(sigma))")
        },
        fixed("emboss", .emboss, .clamp, "emboss, light from the top left: −2 −1 0 / −1 1 1 / 0 1 2"),
        fixed("edge", .edge, .abs, "edge detector: −1 all round, 8 in the centre"),
        fixed("vertical-line", .verticalLine, .abs, "thin vertical lines: every row −1 2 −1"),
    ]
}
