import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input through decode → filter → map → encode, as a batch job (`featmap apply`): the image is
/// filtered whole, or in bands of rows streamed to the encoder when the result is the same, and the
/// report carries the responses' statistics and the output size.
public struct ApplyJob: Sendable {
    public let filter: ClassicFilter
    public let options: FilterOptions
    public let responseMap: ResponseMap
    public let decode: DecodeOptions
    public let format: ImageFormat
    public let depth: Int?
    public let quality: Int
    public let noClobber: Bool
    public let inputs: [String]
    public let destinations: [String]
    let inputIdentities: Set<FileIdentity>

    /// `destinations[i]` is where `inputs[i]` goes ("-": standard output); `depth` nil keeps the input's.
    public init(filter: ClassicFilter, options: FilterOptions, responseMap: ResponseMap, decode: DecodeOptions,
         format: ImageFormat, depth: Int?, quality: Int, noClobber: Bool, inputs: [String], destinations: [String]) {
        self.filter = filter; self.options = options; self.responseMap = responseMap; self.decode = decode
        self.format = format; self.depth = depth; self.quality = quality; self.noClobber = noClobber
        self.inputs = inputs; self.destinations = destinations
        inputIdentities = Set(inputs.compactMap(FileIdentity.init(path:)))
    }

    /// Filters input `i` into its destination; a failure becomes the report's error line.
    public func run(_ i: Int) -> BatchReport {
        let input = inputs[i], destination = destinations[i]
        var report = BatchReport.measuring(input, outputs: [destination]) { report in
            if destination != "-" {
                if let id = FileIdentity(path: destination), inputIdentities.contains(id) {
                    throw BatchError.wouldOverwriteInput(destination)
                }
                if noClobber && FileManager.default.fileExists(atPath: destination) {
                    report.skipped = true
                    return
                }
            }
            let bytes = try InputFile.read(input)
            let reader = try ImageReader(bytes: bytes, source: input == "-" ? "standard input" : input, options: decode)
            // Bands of rows whenever the result is the same: not for normalize (which needs the whole
            // image's min and max first) nor for standard output (a decoding error halfway would
            // leave half an image there).
            var banded = BandedFilter(filter: filter, options: options)
            if destination != "-", format == .npy || responseMap.mode != .normalize,
               let plan = banded.plan(height: reader.header.height, width: reader.header.width) {
                // The routes once for the whole image; bands cut where they give its numbers.
                let routes = try banded.filterPlan(plan, channels: reader.header.channels, route: FilterRoute.fromEnvironment())
                let rows = BandedFilter.bandRows(width: reader.header.width, channels: reader.header.channels, span: plan.span)
                banded.bandRows = (rows + routes.rowMultiple - 1) / routes.rowMultiple * routes.rowMultiple
                try runBanded(banded, plan: plan, routes: routes, reader: reader, destination: destination, report: &report)
                return
            }
            let image = try reader.readImage()
            let response = try filter.applied(to: image, options: options)
            let r = response.responses
            report.statistics = .init(min: r.minimum, mean: r.mean, max: r.maximum)
            report.width = r.shape[2]
            report.height = r.shape[1]
            try OutputFile.write(to: destination) { file in
                switch format {
                case .npy:
                    // The raw responses before any mapping: [H, W] or [H, W, C] in R, G, B order.
                    let raw = Image(planes: r, alpha: nil, bitDepth: response.bitDepth)
                    try ImageEncoder.encode(raw, as: .npy, to: file, destination: destination)
                case .png:
                    let d = depth ?? response.bitDepth
                    try ImageEncoder.encode(responseMap.image(from: response, depth: d), as: .png(depth: d), to: file, destination: destination)
                case .jpeg:
                    try ImageEncoder.encode(responseMap.image(from: response, depth: 8), as: .jpeg(quality: quality), to: file, destination: destination)
                }
            }
        }
        // A skipped input took no time.
        if report.skipped { report.milliseconds = 0 }
        return report
    }
}

extension ApplyJob {
    /// Decode, filter, map and encode band by band; the encoder runs on its own thread one band behind.
    func runBanded(_ banded: BandedFilter, plan: BandedFilter.Plan, routes: FilterPlan, reader: ImageReader, destination: String,
                   report: inout BatchReport) throws {
        var low = Float.infinity, high = -Float.infinity, sum = 0.0, count = 0
        let outputFormat: OutputFormat
        switch format {
        case .npy: outputFormat = .npy
        case .png: outputFormat = .png(depth: depth ?? reader.header.bitDepth)
        case .jpeg: outputFormat = .jpeg(quality: quality)
        }
        let (responseMap, height) = (self.responseMap, plan.outputSize.y)
        try OutputFile.write(to: destination) { file in
            var writer: ImageWriter?
            // The encoder thread also maps responses to pixels, so that the two threads share the
            // work when the encoder itself is quick (JPEG).
            let background = BackgroundWriter<FilterResponse> { response in
                // The statistics for the report are gathered here too, off the filtering thread.
                response.responses.storage.withUnsafeBufferPointer { v in
                    // Eight lanes at a time (the compiler will not reorder a float reduction by
                    // itself); each block of 1024 is summed in Float, the blocks in Double.
                    // NaN fails both comparisons, as in Array.min()/max().
                    guard let base = v.baseAddress else { return }
                    let raw = UnsafeRawPointer(base)
                    var lo8 = SIMD8<Float>(repeating: low), hi8 = SIMD8<Float>(repeating: high)
                    var j = 0
                    while j + 8 <= v.count {
                        var s8 = SIMD8<Float>()
                        let end = min(v.count, j + 1024)
                        while j + 8 <= end {
                            let x = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                            s8 += x
                            lo8.replace(with: x, where: x .< lo8)
                            hi8.replace(with: x, where: x .> hi8)
                            j += 8
                        }
                        sum += Double(s8.sum())
                    }
                    low = lo8.min(); high = hi8.max()
                    while j < v.count {
                        let x = v[j]
                        if x < low { low = x }
                        if x > high { high = x }
                        sum += Double(x)
                        j += 1
                    }
                }
                count += response.responses.count
                if outputFormat.isEightBitPixels {
                    // Map, interleave and quantise in one pass straight to the encoder's bytes.
                    let (bytes, channels) = responseMap.bytes(from: response, keepAlpha: outputFormat.keepsAlpha)
                    if writer == nil {
                        writer = try ImageWriter(file: file, width: plan.outputSize.x, height: height, channels: channels,
                                                 format: outputFormat, destination: destination)
                    }
                    try bytes.withUnsafeBufferPointer { try writer?.writeRows(bytes: $0) }
                    return
                }
                let image: Image
                switch outputFormat {
                case .npy: image = Image(planes: response.responses, alpha: nil, bitDepth: response.bitDepth)
                case .png(let d): image = responseMap.image(from: response, depth: d)
                case .jpeg: image = responseMap.image(from: response, depth: 8)
                }
                if writer == nil {
                    writer = try ImageWriter(file: file, width: image.width, height: height, channels: image.channels,
                                             format: outputFormat, destination: destination)
                }
                try writer?.writeRows(image.samples, bitDepth: image.bitDepth)
            }
            do {
                try banded.run(reader, plan: plan, filterPlan: routes) { response in
                    try background.submit(response)
                }
                try background.finish()
            } catch {
                // The encoder thread must be done with the FILE before it is closed and removed.
                try? background.finish()
                throw error
            }
            guard let writer else {
                throw EngineError.shapeMismatch("no rows were filtered for \(destination); this is a bug in featmap")
            }
            try writer.finish()
        }
        report.statistics = .init(min: count > 0 ? low : 0, mean: count > 0 ? Float(sum / Double(count)) : 0,
                                  max: count > 0 ? high : 0)
        report.width = plan.outputSize.x
        report.height = plan.outputSize.y
    }
}

/// A file's device and inode, so that "photo.png" and "./x/../photo.png" are known to be one file.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64, inode: UInt64
    public init?(path: String) {
        guard path != "-" else { return nil }
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(s.st_dev); inode = UInt64(s.st_ino)
    }
}
