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

    /// The planes to pool and a name for each.
    static func planes(_ path: String, decode: DecodeOptions) throws -> (Tensor, [String]) {
        let bytes = try InputFile.read(path)
        if ImageFormat.detect(bytes) == .npy {  // by content, as every reader decides
            var t = try NPY.decode(bytes, source: path)
            if t.rank == 2 { t = t.reshaped([1] + t.shape) }
            if t.rank == 4 && t.shape[0] == 1 { t = t.reshaped(Array(t.shape.dropFirst())) }
            guard t.rank == 3, t.count > 0 else {
                throw ModelError.badInput("\(path): a .npy to pool must be [H, W], [C, H, W] or [1, C, H, W] and not empty; got shape \(t.shape)")
            }
            return (t, (0..<t.shape[0]).map { "channel \($0)" })
        }
        let image = try ImageDecoder.decode(bytes, source: CodecError.displayName(path), options: decode)
        let planes = image.colorPlanes
        return (planes, planes.shape[0] == 3 ? ["red", "green", "blue"] : ["grey"])
    }

    /// Pools one input, writes its picture (and .npy) to `path`, and returns what to print.
    func runChecked(_ input: String, path: String) throws -> String {
        let (planes, names) = try PoolCommand.planes(input, decode: inputOptions.decodeOptions)
        guard let (c, h, w) = planes.planeShape else { throw ModelError.badInput("\(input): not a set of planes") }
        let pooling = Pooling(kind: op == .max ? .max : .average, kernel: Pair(both: size), stride: Pair(both: stride ?? size),
                              padding: Padding(all: padding), ceilMode: ceil, countIncludePad: false)
        let comparison = try shift.map { try ShiftComparison(input: planes, pooling: pooling, shift: $0) }
        let pooled = try comparison?.pooled ?? pooling.applied(to: planes)
        guard let (_, oh, ow) = pooled.planeShape else { throw ModelError.badInput("pooling gave no planes") }
        let n = oh * ow
        func winners(_ t: Tensor, _ ch: Int) throws -> [Int?] {
            op == .max ? try pooling.winners(plane: t.storage[(ch * h * w)..<((ch + 1) * h * w)], height: h, width: w, skippingTies: true) : []
        }
        var rows: [PoolingPicture.Row] = []
        for ch in 0..<c {
            let plane = Array(planes.storage[(ch * h * w)..<((ch + 1) * h * w)])
            rows.append(.init(label: names[ch], input: plane, output: Array(pooled.storage[(ch * n)..<((ch + 1) * n)]),
                              winners: try winners(planes, ch)))
            if let comparison {
                let moved = comparison.shiftedInput
                let same = Set(comparison.unchanged.filter { $0 / n == ch }.map { $0 % n })
                rows.append(.init(label: "\(names[ch])\nshifted \(comparison.shift.y),\(comparison.shift.x)",
                                  input: Array(moved.storage[(ch * h * w)..<((ch + 1) * h * w)]),
                                  output: Array(comparison.shiftedPooled.storage[(ch * n)..<((ch + 1) * n)]),
                                  winners: try winners(moved, ch), highlighted: same))
            }
        }
        let name = op == .max ? "max" : "average"
        let title = "\(name) pooling \(size)×\(size), stride \(stride ?? size), padding \(padding)\(ceil ? ", ceil mode" : "")"
        var caption = PoolingPicture.overlaps(pooling)
            ? "left: input, lines at window starts, orange = two whole windows (they overlap)" : "left: input with each window outlined"
        if op == .max { caption += ", red = the cell that wins its window" }
        caption += "; right: pooled output, each cell where its window starts"
        if comparison != nil { caption += "\nshifted rows: green = pooled value unchanged by the shift" }
        let picture = try PoolingPicture.draw(rows: rows, height: h, width: w, pooling: pooling, title: title, caption: caption)
        try picture.drawing.write(to: path)
        if npy {
            let npyPath = (path as NSString).deletingPathExtension + ".npy"
            do {
                try ModelOptions.write(NPY.encode(shape: pooled.shape, values: pooled.storage), to: npyPath)
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                throw error
            }
        }
        var text = "\(input): \(c)×\(h)×\(w) → \(c)×\(oh)×\(ow), \(path)\(npy ? " and .npy" : "")"
        if let comparison {
            text += String(format: "\nshift %d,%d: %.4f of pooled values unchanged (%d of %d)", comparison.shift.y, comparison.shift.x,
                           comparison.unchangedFraction, comparison.unchanged.count, pooled.count)
        }
        return text
    }
}
