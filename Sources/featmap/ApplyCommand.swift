import ArgumentParser
import FeatMapKit
import Foundation

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Filter images with a classic kernel (cross-correlation, as CNNs do).",
        discussion: """
        KERNEL is a built-in name with its parameters (see `featmap kernels`),
        a kernel file (featmap's text format or a libvips .mat), or an inline
        matrix such as "3x3: 0 -1 0 -1 5 -1 0 -1 0".

        Examples:
          # gradient magnitude → photo-sobel.png
          featmap apply sobel photo.jpg
          # raw signed responses for NumPy
          featmap apply sobel-x photo.jpg -o gx.npy
          featmap apply gaussian:3 photo.png --border reflect101 -o blur.jpg
          featmap apply kernels/emboss.txt photo.png --gray
          featmap apply "3x3: 1 0 -1 2 0 -2 1 0 -1" img.png --padding valid
          featmap apply box:5 --out-dir out -j 2 --recursive photos/
          cat photo.jpg | featmap apply sobel - -o - > edges.png
        """
    )

    @Argument(help: "The kernel: a name (sobel, gaussian:2, box:5 …), a kernel file, or an inline matrix.", completion: Completions.kernels)
    var kernel: String

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var runOptions: RunOptions

    @Option(help: ArgumentHelp("same, valid, N, or T,B,L,R cells on each side.", valueName: "padding"))
    var padding: String = "same"

    @Option(help: ArgumentHelp("Step between windows: N or SY,SX.", valueName: "stride"))
    var stride: Pair = .one

    @Option(help: ArgumentHelp("Spacing between kernel taps: N or DY,DX.", valueName: "dilation"))
    var dilation: Pair = .one

    @Option(help: "What the padded cells hold: zero, replicate, reflect, reflect101 or wrap (OpenCV's semantics).")
    var border: BorderMode = .replicate

    @Flag(help: "Flip the kernel: true convolution instead of cross-correlation.")
    var convolve = false

    @Flag(help: "Convert colour images to luma (Rec. 601) before filtering.")
    var gray = false

    @Option(help: "Responses to pixels: clamp, abs, offset (0 at mid-grey) or normalize (min..max to full range). Default: the kernel's.")
    var map: ResponseMode?

    @Option(help: "Multiply mapped responses by this.")
    var scale: Float = 1

    @Option(help: "Add this to mapped responses (in output grey levels).")
    var bias: Float = 0

    func validate() throws {
        guard stride.y >= 1, stride.x >= 1 else { throw ValidationError("--stride must be at least 1 (got \(stride))") }
        guard dilation.y >= 1, dilation.x >= 1 else { throw ValidationError("--dilation must be at least 1 (got \(dilation))") }
        do { _ = try PaddingChoice(parsing: padding) } catch { throw ValidationError(error.userMessage) }
        guard scale.isFinite, bias.isFinite else { throw ValidationError("--scale and --bias must be finite numbers") }
    }

    func run() throws {
        let filter = try Terminal.resolveKernel(kernel)
        let inputs: [String], destinations: [String]
        let format = outputOptions.chosenFormat
        do {
            inputs = try inputOptions.inputList()
            destinations = try outputOptions.destinations(for: inputs, kernel: kernelLabel)
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.printError(error.userMessage)
            throw ExitCode.failure
        }
        if destinations.contains("-") && Terminal.isTerminal(1) {
            Terminal.printError(BatchError.binaryToTerminal(OutputOptions.fileExtension(format)).description)
            throw ExitCode.failure
        }
        let job = ApplyJob(filter: filter, options: filterOptions, responseMap: responseMap(for: filter),
                           decode: inputOptions.decodeOptions, format: format, depth: outputOptions.depth,
                           quality: outputOptions.quality, noClobber: outputOptions.noClobber,
                           inputs: inputs, destinations: destinations)
        try Terminal.runBatch(inputs: inputs, options: runOptions, textToStandardError: destinations.contains("-")) { i in
            job.run(i)
        }
    }

    var filterOptions: FilterOptions {
        var o = FilterOptions()
        o.padding = (try? PaddingChoice(parsing: padding)) ?? .same
        o.stride = stride
        o.dilation = dilation
        o.border = border
        o.convolve = convolve
        o.gray = gray
        return o
    }

    func responseMap(for filter: ClassicFilter) -> ResponseMap {
        var m = ResponseMap(mode: map ?? filter.defaultMode)
        m.scale = scale
        m.bias = bias
        return m
    }

    /// The kernel's part of default output names: a file's stem, "custom" for an inline matrix,
    /// else the spec with ':' turned into '-' (gaussian:2 → gaussian-2).
    var kernelLabel: String {
        if FileManager.default.fileExists(atPath: kernel) { return OutputNaming.stem(of: kernel) }
        if kernel.contains(" ") || kernel.contains("x") && kernel.contains(":") && kernel.first?.isNumber == true { return "custom" }
        return OutputNaming.sanitized(kernel)
    }
}

