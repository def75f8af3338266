import ArgumentParser
import FeatMapKit
import Foundation

struct ShiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shift",
        abstract: "Measure translation equivariance and invariance: move the input by A..B pixels, layer by layer or over a data set.",
        discussion: """
        The input is moved in the network's own pixels — after resizing and cropping, before the mean/std normalisation — with the size kept; new pixels are 0 (--fill zero, black) or the edge pixel (--fill replicate). Positive shifts move the content right (x) or down (y); --axis both moves it diagonally.

        One input: for each feature-map layer (or --layers), the equivariance error ‖f(shift_d x) − shift_{d/J} f(x)‖ / ‖f(x)‖ over the cells whose receptive fields stay inside the image (J the layer's jump; "—" where d is not a multiple of J) and the invariance error ‖f(shift_d x) − f(x)‖ / ‖f(x)‖, and for a classifier the top class and its probability per shift. --json prints one object: shifts, layers (name, jump, equivariance_error, invariance_error), top.

        --dataset: the accuracy at each shift over a labelled data set — MNIST-style idx files (IMAGES with --labels LABELS, gzipped or not), a folder with one sub-folder per class (ImageFolder), or a CSV of path,label. Images that already have the input size go in as they are (no digit refitting unless --fit is given). Runs on all cores, memory independent of the data set's size. --json prints a last line holding accuracy: [{shift, accuracy, correct, total}].

        -o writes a line chart (PNG, SVG or PDF by extension): the errors against the shift, one line per layer (convolutions solid, pooling dashed, others dotted), or the accuracy against the shift with the unshifted accuracy marked.

        Examples:
          featmap shift samples/lenet.weights samples/digit.png --by -4..4 -o shift.png
          featmap shift samples/lenet.weights --dataset t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz --by -4..4 -o accuracy.png
          featmap shift model.onnx cat.png --by=-8..8 --axis both --fill replicate --json
        """
    )

    @Argument(help: "The model: .weights, .onnx, or a safetensors state dict with --arch.", completion: Completions.models)
    var model: String

    @OptionGroup var inputOptions: InputOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Shifts in pixels: A..B (e.g. -4..4; --by=-4..4 also works) or one shift D.", valueName: "A..B"))
    var by: String

    @Option(help: "Axis the input moves along: x, y or both (diagonally).")
    var axis: ShiftAxis = .x

    @Option(help: "New pixels: zero (0 before normalisation) or replicate (the edge pixel).")
    var fill: ShiftFill = .zero

    @Option(help: ArgumentHelp("Labelled images to measure accuracy on: idx images (with --labels), an ImageFolder folder, or a CSV of path,label.", valueName: "images"), completion: .file())
    var dataset: String?

    @Option(help: ArgumentHelp("The idx labels of --dataset (magic 2049), gzipped or not.", valueName: "labels"), completion: .file())
    var labels: String?

    @Option(help: ArgumentHelp("Comma-separated layers to measure (default: every feature-map layer before the classifier).", valueName: "a,b"), completion: Completions.layerNames(commaSeparated: true))
    var layers: String?

    @Flag(help: "Print the results as one JSON object (keys sorted) instead of the table.")
    var json = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the line chart here: .png, .svg or .pdf.", valueName: "plot.png"))
    var output: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        do { _ = try ShiftRange(parsing: by) } catch { throw ValidationError("\(error)") }
        if dataset == nil {
            if labels != nil { throw ValidationError("--labels goes with --dataset") }
            if inputOptions.inputs.count != 1 || inputOptions.filesFrom != nil {
                throw ValidationError("give one input image (or --dataset IMAGES for accuracy over a data set), got \(inputOptions.inputs.count)")
            }
        } else {
            if !inputOptions.inputs.isEmpty || inputOptions.filesFrom != nil {
                throw ValidationError("--dataset measures accuracy over its own images; leave out the input (\(inputOptions.inputs.joined(separator: " ")))")
            }
            if layers != nil { throw ValidationError("--layers goes with one input, not --dataset") }
        }
        if let output { do { _ = try PictureFormat.forOutput(output) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        let m: Model
        m = try modelOptions.loadOrExit(model)
        let range = try ShiftRange(parsing: by)
        do { try range.check(axis: axis, height: m.preprocessing.height, width: m.preprocessing.width) } catch {
            Terminal.printError("\(error)")
            throw ExitCode(64)
        }
        if let dataset { try runDataset(m, dataset: dataset, range: range) } else { try runOne(m, path: inputOptions.inputs[0], range: range) }
    }

    // MARK: One input

    func runOne(_ m: Model, path: String, range: ShiftRange) throws {
        var selected: [Int]? = nil
        if let layers {
            do {
                selected = try layers.split(separator: ",").map { try m.graph.nodeIndex(named: $0.trimmingCharacters(in: .whitespaces)) }
                selected = Array(Set(selected!)).sorted()
            } catch {
                Terminal.printError("\(error)")
                throw ExitCode(64)
            }
        }
        let experiment: ShiftExperiment
        do {
            let bytes = try InputFile.read(path)
            if ImageFormat.detect(bytes) == .npy {
                let tensor = try m.input(fromFile: path, decodeOptions: inputOptions.decodeOptions).tensor
                try range.check(axis: axis, height: tensor.shape[1], width: tensor.shape[2])
                experiment = try ShiftExperiment(model: m, fitted: tensor, shifts: range, axis: axis, fill: fill, layers: selected, normalised: true)
            } else {
                let image = try ImageDecoder.decode(bytes, source: path, options: inputOptions.decodeOptions)
                experiment = try ShiftExperiment(model: m, fitted: try m.preprocessing.fitted(image), shifts: range, axis: axis,
                                                 fill: fill, layers: selected)
            }
            if experiment.layers.isEmpty {
                throw ModelError.badInput("\(path): no feature-map layer ran, so there is nothing to compare; name layers with --layers")
            }
            if let output { try experiment.drawing().write(to: output) }
        } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        if json { print(try experiment.json()); return }
        print(table(experiment, path: path))
    }

    static func cell(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "—" }

    static func padded(_ s: String, _ n: Int, right: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, n - s.count))
        return right ? pad + s : s + pad
    }

    func table(_ e: ShiftExperiment, path: String) -> String {
        let nameW = max(5, e.layers.map { $0.name.count }.max() ?? 5), colW = 8
        var lines = ["\(path): shifted \(e.shifts.first!)..\(e.shifts.last!) px along \(axis == .both ? "x and y" : axis.rawValue), \(fill.rawValue) fill"]
        let header = ShiftCommand.padded("layer", nameW) + "  " + ShiftCommand.padded("jump", 5)
            + e.shifts.map { ShiftCommand.padded("\($0)", colW, right: true) }.joined()
        for (title, equivariance) in [("equivariance error ‖f(shift x) − shift f(x)‖/‖f(x)‖ over cells whose fields stay inside (— where the shift is not a multiple of the jump)", true),
                                      ("invariance error ‖f(shift x) − f(x)‖/‖f(x)‖", false)] {
            lines += ["", title, header]
            for l in e.layers {
                let jump = l.jump.map { $0[0] == $0[1] ? "\($0[0])" : "\($0[0]),\($0[1])" } ?? "—"
                let values = equivariance ? l.equivarianceError : l.invarianceError
                lines.append(ShiftCommand.padded(l.name, nameW) + "  " + ShiftCommand.padded(jump, 5)
                             + values.map { ShiftCommand.padded(ShiftCommand.cell($0), colW, right: true) }.joined())
            }
        }
        if !e.top.isEmpty {
            lines += ["", "top class", ShiftCommand.padded("shift", nameW + 7) + e.shifts.map { ShiftCommand.padded("\($0)", colW, right: true) }.joined()]
            lines.append(ShiftCommand.padded("class", nameW + 7) + e.top.map { ShiftCommand.padded(String($0.name.prefix(colW - 1)), colW, right: true) }.joined())
            lines.append(ShiftCommand.padded("probability", nameW + 7) + e.top.map { ShiftCommand.padded(String(format: "%.4f", $0.probability), colW, right: true) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Data set

    func runDataset(_ m: Model, dataset: String, range: ShiftRange) throws {
        let report: DatasetShiftReport
        do {
            let data = try LabelledImages.open(images: dataset, labels: labels, classNames: m.classes)
            let progress = Progress(total: data.count, enabled: !json && Terminal.isTerminal(2))
            let result = try DatasetShift.accuracy(model: m, data: data, shifts: range, axis: axis, fill: fill,
                                                   refit: modelOptions.fit != nil) { done, _ in progress.update(done: done) }
            progress.clear()
            report = DatasetShiftReport(dataset: data.description, axis: axis, fill: fill, accuracy: result.accuracy, unshifted: result.unshifted)
            if let output { try report.chart().drawing().write(to: output) }
        } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        if json { print(try report.json()); return }
        var lines = ["\(dataset): \(report.dataset), shifted along \(axis == .both ? "x and y" : axis.rawValue), \(fill.rawValue) fill",
                     "shift  accuracy   correct/total"]
        for a in report.accuracy {
            lines.append(ShiftCommand.padded("\(a.shift)", 5, right: true) + "  " + ShiftCommand.padded(String(format: "%.2f%%", a.accuracy * 100), 8, right: true)
                         + "   \(a.correct)/\(a.total)")
        }
        print(lines.joined(separator: "\n"))
    }
}

extension ShiftAxis: ExpressibleByArgument {}
extension ShiftFill: ExpressibleByArgument {}
