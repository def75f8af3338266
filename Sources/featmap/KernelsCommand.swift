import ArgumentParser
import FeatMapKit
import Foundation

struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "List the built-in and file kernels, or show one with its statistics.",
        discussion: """
        Examples:
          featmap kernels                  every built-in kernel and the files in ./kernels
          featmap kernels show sobel-x     the matrix, sum, mean, std, min, max, separability
          featmap kernels show gaussian:1.5
          featmap kernels show laplacian --png laplacian.png
        """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the kernels.")

        @Option(help: "Folder of kernel files to list as well.")
        var folder: String = "kernels"

        func run() throws {
            var lines = ["Built-in kernels (parameters after ':'):"]
            let builtins = KernelLibrary.builtins
            let width = builtins.map { $0.usage.count }.max() ?? 0
            for b in builtins {
                lines.append("  " + b.usage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + b.summary)
            }
            let files = KernelLibrary.fileKernels(in: folder)
            if !files.isEmpty {
                lines.append("")
                lines.append("Kernel files in \(folder)/ (pass the path to apply):")
                for f in files { lines.append("  " + f) }
            }
            lines.append("")
            lines.append("Inline: \"3x3: 0 -1 0 -1 5 -1 0 -1 0\"   Details: featmap kernels show NAME")
            print(lines.joined(separator: "\n"))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a kernel's matrix and statistics.")

        @Argument(help: "A built-in name, a kernel file or an inline matrix.", completion: Completions.kernels)
        var kernel: String

        @Option(name: [.customShort("o"), .customLong("output"), .customLong("png")], help: ArgumentHelp("Also draw the kernel into this .png, .svg or .pdf: enlarged cells, a diverging colormap centred on zero, the values written in.", valueName: "out.png"))
        var png: String?

        func run() throws {
            let filter = try Terminal.resolveKernel(kernel)
            var out: [String] = ["\(filter.name): \(filter.summary)"]
            if filter.combinesMagnitude {
                out.append("Output: gradient magnitude √(gx² + gy²) of the two kernels below.")
            }
            out.append("Default mapping of responses to pixels: \(filter.defaultMode.rawValue)")
            for k in filter.kernels {
                out.append("")
                out += KernelsCommand.describe(k)
            }
            print(out.joined(separator: "\n"))
            if let png {
                do {
                    let pictures = try filter.kernels.map {
                        try KernelPicture.draw(values: $0.values, width: $0.width, height: $0.height, title: $0.name).drawing
                    }
                    let picture = pictures.count == 1 ? pictures[0] : Picture.stacked(pictures, axis: .horizontal)
                    try picture.write(to: png, as: PictureFormat.forOutput(png))
                } catch {
                    Terminal.printError(error.userMessage)
                    throw ExitCode.failure
                }
            }
        }
    }

    static func describe(_ k: Kernel) -> [String] {
        let stats = KernelStatistics(k)
        var lines = ["\(k.name)  \(k.height)×\(k.width)"]
        let cells = k.values.map { formatNumber($0) }
        let w = cells.map(\.count).max() ?? 1
        for y in 0..<k.height {
            let row = (0..<k.width).map { x in
                let s = cells[y * k.width + x]
                return String(repeating: " ", count: w - s.count) + s
            }
            lines.append("  " + row.joined(separator: "  "))
        }
        lines.append(String(format: "  sum %@  mean %@  std %@  min %@  max %@",
                            formatNumber(stats.sum), formatNumber(stats.mean), formatNumber(stats.standardDeviation),
                            formatNumber(stats.minimum), formatNumber(stats.maximum)))
        if stats.isSeparable, let r = stats.rowFactor, let c = stats.columnFactor {
            lines.append("  separable: column [\(c.map(formatNumber).joined(separator: " "))] × row [\(r.map(formatNumber).joined(separator: " "))]")
        } else {
            lines.append("  not separable")
        }
        lines.append("  " + stats.sumMeaning)
        return lines
    }

    static func formatNumber(_ v: Float) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
