import ArgumentParser
import FeatMapKit
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Per layer: window, output shape, parameters, multiply-accumulates and receptive field.",
        discussion: """
        Receptive fields follow Araujo, Norris and Sim (Distill 2019): RF is how many input pixels a
        unit sees, jump the effective stride between neighbouring units' fields, eff.pad how far the
        first field starts before the image; unit u sees input [u·jump − eff.pad, u·jump − eff.pad + RF − 1].
        One number where both axes agree, Y,X where they differ. Branches whose fields have different
        strides or centres are "not aligned". Padding is written top,left,bottom,right.

        For each convolution, a second table shows weight sharing: its parameters, those of a locally
        connected layer with the same windows (own kernel and bias per output position), and those of a
        fully connected layer between the same input and output sizes.

        Examples:
          featmap info samples/lenet.weights
          featmap info samples/squeezenet-first.weights --input 227x227 --json
          featmap info --kernel sobel --input 224x224
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String?

    @Option(help: ArgumentHelp("A classic kernel (name, file or inline) shown as a one-filter convolution layer.", valueName: "kernel"), completion: Completions.kernels)
    var kernel: String?

    @Option(help: ArgumentHelp("Input size HxW (or N for square); default: the model's input size, 224x224 for a kernel.", valueName: "HxW"))
    var input: String?

    @Option(help: "Input channels for --kernel.")
    var channels: Int = 3

    @Option(name: .customLong("arch"), help: ArgumentHelp("Architecture JSON for a bare safetensors state dict.", valueName: "file.json"), completion: .file(extensions: ["json"]))
    var architecture: String?

    @Flag(help: "Print one JSON object instead of the tables.")
    var json = false

    func validate() throws {
        if (model == nil) == (kernel == nil) { throw ValidationError("give either a MODEL or --kernel NAME (e.g. featmap info --kernel sobel)") }
        if let input { _ = try InfoCommand.size(input) }
        guard (1...4096).contains(channels) else { throw ValidationError("--channels must be between 1 and 4096, got \(channels)") }
    }

    /// "HxW", "H,W" or "N".
    static func size(_ text: String) throws -> Pair {
        let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "," || $0 == "×" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (parts.count == 1 || parts.count == 2), parts.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 16384 }) else {
            throw ValidationError("--input needs HxW (e.g. 224x224) or N with sizes 1 to 16384, got '\(text)'")
        }
        return Pair(parts[0]!, parts.count == 2 ? parts[1]! : parts[0]!)
    }

    func run() throws {
        let graph: Graph, title: String, c: Int, hw: Pair
        do {
            if let kernel {
                let filter: ClassicFilter
                do { filter = try KernelLibrary.resolve(kernel) } catch {
                    Terminal.printError("\(error)")
                    throw ExitCode(64)
                }
                hw = try input.map(InfoCommand.size) ?? Pair(224, 224)
                c = channels
                try report(try filter.analysed(channels: c, height: hw.y, width: hw.x), title: "kernel \(filter.name) as a convolution layer: one \(filter.kernels[0].height)×\(filter.kernels[0].width) filter over \(c) channels, with bias, same padding")
                return
            }
            let m = try Model.load(contentsOf: URL(fileURLWithPath: model!), architecture: architecture.map { URL(fileURLWithPath: $0) })
            for warning in m.warnings { Terminal.printError(warning) }
            graph = m.graph
            title = model!
            c = m.analysisChannels
            hw = try input.map(InfoCommand.size) ?? Pair(m.preprocessing.height, m.preprocessing.width)
        } catch let e as ExitCode {
            throw e
        } catch {
            Terminal.printError("\(error)")
            throw ExitCode.failure
        }
        let analysis: ModelAnalysis
        do { analysis = try graph.analysed(channels: c, height: hw.y, width: hw.x) } catch {
            Terminal.printError("\(title): \(error)")
            throw ExitCode.failure
        }
        try report(analysis, title: title)
        if let stop = analysis.stoppedBy {
            Terminal.printError("\(title): stopped at \(stop)")
            throw ExitCode.failure
        }
    }

    func report(_ a: ModelAnalysis, title: String) throws {
        if json { print(try a.json(title: title)) } else { print(InfoCommand.table(a, title: title)) }
    }

    static func axes(_ p: Pair?) -> String { p.map { $0.y == $0.x ? "\($0.y)" : "\($0.y),\($0.x)" } ?? "" }
    static func pads(_ p: Padding?) -> String {
        guard let p else { return "" }
        return p.top == p.bottom && p.top == p.left && p.top == p.right ? "\(p.top)" : "\(p.top),\(p.left),\(p.bottom),\(p.right)"
    }
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
        return String(out.reversed())
    }
    /// 1.4M, 7.5G: the size at a glance next to the exact count.
    static func approximate(_ n: Int) -> String {
        let v = Double(n)
        for (limit, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where v >= limit {
            return String(format: "%.1f%@", v / limit, suffix)
        }
        return String(n)
    }

    static func fieldColumns(_ f: LayerField) -> [String] {
        switch f {
        case .spatial(let r): return [axes(r.size), axes(r.jump), axes(r.padding)]
        case .notAligned: return ["not aligned", "—", "—"]
        case .irregular: return ["irregular", "—", "—"]
        case .notSpatial: return ["—", "—", "—"]
        }
    }

    static func render(_ table: [[String]], numeric: Set<Int>) -> [String] {
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return numeric.contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    static func table(_ a: ModelAnalysis, title: String) -> String {
        var lines = ["\(title)  input \(a.inputShape.map(String.init).joined(separator: "×"))"]
        var t = [["layer", "op", "kernel", "stride", "pad", "dil", "groups", "output", "params", "MACs", "RF", "jump", "eff.pad"]]
        for l in a.layers {
            t.append([l.name, l.op, l.kernel.map { "\($0.y)×\($0.x)" } ?? "", axes(l.stride), pads(l.padding), axes(l.dilation),
                      l.groups.map(String.init) ?? "", l.outputShape.map(String.init).joined(separator: "×"),
                      grouped(l.parameters), grouped(l.multiplyAccumulates)] + fieldColumns(l.field))
        }
        t.append(["total", "", "", "", "", "", "", "", grouped(a.totalParameters), grouped(a.totalMultiplyAccumulates), "", "", ""])
        lines += render(t, numeric: [8, 9])
        let convs = a.layers.filter { $0.weightSharing != nil }
        if !convs.isEmpty {
            lines.append("")
            lines.append("weight sharing: parameters of each convolution against a locally connected layer (own kernel per")
            lines.append("output position) and a fully connected layer between the same input and output sizes")
            var w = [["layer", "convolution", "locally connected", "", "fully connected", ""]]
            for l in convs {
                let s = l.weightSharing!
                w.append([l.name, grouped(s.convolution), grouped(s.locallyConnected), "≈" + approximate(s.locallyConnected),
                          grouped(s.fullyConnected), "≈" + approximate(s.fullyConnected)])
            }
            lines += render(w, numeric: [1, 2, 3, 4, 5])
        }
        return lines.joined(separator: "\n")
    }
}
