import ArgumentParser
import FeatMapKit
import Foundation

struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Show pooling before and after: the input with its windows, the pooled output beside it.",
        discussion: """
        One row per channel (R, G, B for colour images): the input on the left with every pooling window
        outlined (alternating blue and orange) and, for max pooling, the cell that won each window framed
        in red (windows whose cells are all equal have no winner); the pooled output on the right, each output cell drawn where its window starts. Padding is
        hatched; average pooling divides by the image cells in the window (ONNX count_include_pad = 0).
        Values are pooled in the image's own units (0–255, or 0–65535 for 16-bit PNG); a .npy input
        ([C, H, W], [1, C, H, W] or [H, W], e.g. from `featmap layers --npy`) is pooled as it is.

        --shift DY,DX adds a row per channel for the input moved DY pixels down and DX right (edge pixels
        repeated), outlines in green the pooled values that did not change, and prints their fraction.

        Examples:
          featmap pool samples/digit.png --size 2 -o digit-pool.png
          featmap pool crop.png --op avg --size 3 --stride 2 --padding 1 --ceil --npy
          featmap pool samples/digit.png --shift 0,1
          featmap pool digits/ --out-dir pooled -j 2
        """
    )

    enum Operation: String, ExpressibleByArgument, CaseIterable { case max, avg }

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: "max or avg.")
    var op: Operation = .max

    @Option(help: "Window size K (K×K).")
    var size: Int = 2

    @Option(help: "Stride S (default: the window size).")
    var stride: Int?

    @Option(help: "Zero cells added on each side (less than the window size).")
    var padding: Int = 0

    @Flag(help: "Round the output size up (ceil mode), keeping every window's start inside the image or the leading padding.")
    var ceil = false

    @Option(help: ArgumentHelp("Also pool the input shifted by DY,DX pixels and report what stayed the same.", valueName: "dy,dx"))
    var shift: Pair?

    @Option(name: .shortAndLong, help: ArgumentHelp("Output picture for a single input, .png, .svg or .pdf (default: STEM-maxpool.png or STEM-avgpool.png).", valueName: "out.png"))
    var output: String?

    @Option(help: ArgumentHelp("Picture format of the default names and of --out-dir: png, svg or pdf (-o takes the format from its extension).", valueName: "format"))
    var imageFormat: PictureFormat = .png


    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for the pictures of many inputs.", valueName: "dir"))
    var outDir: String?

    @Flag(help: "Also write the pooled values (float32 [C, Ho, Wo]) beside the picture, same name with .npy.")
    var npy = false

    func validate() throws {
        guard (1...256).contains(size) else { throw ValidationError("--size must be between 1 and 256, got \(size)") }
        if let stride, !(1...256).contains(stride) { throw ValidationError("--stride must be between 1 and 256, got \(stride)") }
        guard padding >= 0, padding < size else { throw ValidationError("--padding must be at least 0 and smaller than --size (\(size)), got \(padding)") }
        if let shift, abs(shift.y) > 4096 || abs(shift.x) > 4096 { throw ValidationError("--shift must be at most 4096 pixels per axis") }
        if let output, PictureFormat(path: output) == nil { throw ValidationError("-o must name a .png, .svg or .pdf file, got '\(output)'") }
    }

    func run() throws {
        let inputs = try inputOptions.pictureInputs(output: output, outDir: outDir)
        let naming = OutputNaming(template: "{stem}-\(op == .max ? "maxpool" : "avgpool").\(imageFormat.fileExtension)", folder: outDir, inputs: inputs)
        let command = self
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: false) { i in
            let path = command.output ?? naming.name(forInputAt: i, path: inputs[i], ext: "png")
            return BatchReport.measuring(inputs[i], outputs: [path]) { report in
                report.text = try command.runChecked(inputs[i], path: path)
            }
        }
    }

    /// Pools one input, writes its picture (and .npy) to `path`, and returns what to print.
    func runChecked(_ input: String, path: String) throws -> String {
        var drawing = PoolingDrawing(pooling: Pooling(kind: op == .max ? .max : .average, kernel: Pair(both: size),
                                                      stride: Pair(both: stride ?? size), padding: Padding(all: padding),
                                                      ceilMode: ceil, countIncludePad: false))
        drawing.shift = shift
        drawing.npy = npy
        drawing.decode = inputOptions.decodeOptions
        let r = try drawing.draw(input: input, to: path)
        var text = "\(input): \(r.channels)×\(r.height)×\(r.width) → \(r.channels)×\(r.outputHeight)×\(r.outputWidth), \(path)\(npy ? " and .npy" : "")"
        if let comparison = r.comparison {
            text += String(format: "\nshift %d,%d: %.4f of pooled values unchanged (%d of %d)", comparison.shift.y, comparison.shift.x,
                           comparison.unchangedFraction, comparison.unchanged.count, comparison.pooled.count)
        }
        return text
    }
}
