/// A classic filter run over an image as it is decoded, one band of output rows at a time, so that
/// memory grows with the image's width, not its area.
///
/// Each band is exact, not an approximation: output rows oy₀ ..< oy₀ + n read the padded input rows
/// p = oy₀·sy ..< (oy₀ + n − 1)·sy + dy·(kh − 1) + 1, and padded row p holds source row
/// `border.sourceIndex(p − top)` (a zero row where that is nil), the same mapping
/// `Tensor.padded(by:border:)` uses. The band is built from those rows and handed to the very same
/// `ClassicFilter.applied(to:options:)` as the whole image, with the vertical padding set to 0 and the
/// real left and right padding, so every output row comes out of the same arithmetic on the same
/// numbers. Alpha, which is sampled and not filtered, is read in each band row from the row the
/// whole-image path clamps to: `min(max(p − top, 0), h − 1)`.
///
/// Rows are kept in a sliding window: a decoded row stays only while a later band still reads it,
/// which for the replicate and reflect borders is a few rows, and for the wrap border (whose first
/// rows read the last ones) the whole image.
public struct BandedFilter: Sendable {
    public var filter: ClassicFilter
    public var options: FilterOptions
    /// Output rows per band.
    public var bandRows: Int

    public init(filter: ClassicFilter, options: FilterOptions, bandRows: Int = 32) {
        self.filter = filter
        self.options = options
        self.bandRows = max(1, bandRows)
    }

    /// Output rows per band so that a band's input is about half a million samples (~2 MB of floats, a
    /// few times that in the filter's copies and the encoder's queue): larger bands only cost memory.
    /// At least 16 rows so that thin images do not pay per band. Tall kernels get taller bands: each
    /// band also holds span − 1 rows of its neighbours, which are copied (split into planes) once per
    /// band; at least 2 × (span − 1) output rows keeps those copies under half of a band (shorter bands
    /// save memory but lose time). Rounded up to a multiple of the rows `ToeplitzPasses` groups (32), so
    /// that the bands of a long Gaussian issue the same matrix products as the whole image.
    /// (Measurements: docs/benchmark.md#band-height.)
    public static func bandRows(width: Int, channels: Int, span: Int = 1) -> Int {
        let rows = max(16, (1 << 19) / max(1, width * channels), 2 * (span - 1))
        return (rows + ToeplitzPasses.rows - 1) / ToeplitzPasses.rows * ToeplitzPasses.rows
    }

    /// Where the output rows come from, for an input of a given size.
    public struct Plan: Sendable, Equatable {
        public var inputSize: Pair
        public var outputSize: Pair
        public var padding: Padding
        /// dy·(kh − 1) + 1: padded input rows one output row reads.
        public var span: Int
        public var stride: Int
        public var anchorRow: Int
    }

    /// Padding above or below the image beyond which the whole-image path is used: it is the one that
    /// reports oversized padding, and a band would hold mostly border rows.
    public static let maximumStreamedPadding = 256

    /// The band geometry for an image of `height` × `width`, or nil when the filter cannot be run in
    /// bands with these options (kernels of different sizes or anchors, huge vertical padding, or any
    /// setting the whole-image path rejects, so that it reports the error).
    public func plan(height: Int, width: Int) -> Plan? {
        guard let first = filter.kernels.first, height >= 1, width >= 1,
              options.stride.y >= 1, options.stride.x >= 1, options.dilation.y >= 1, options.dilation.x >= 1 else { return nil }
        var geometry: (Padding, Pair, Pair)?
        for original in filter.kernels {
            let kernel = options.convolve ? original.flipped : original
            guard kernel.width == first.width, kernel.height == first.height,
                  let padding = try? options.padding.padding(for: kernel, dilation: options.dilation),
                  let size = try? Convolution.outputSize(input: Pair(height, width), kernel: Pair(kernel.height, kernel.width),
                                                         stride: options.stride, dilation: options.dilation, padding: padding)
            else { return nil }
            if let (p, a, _) = geometry, p != padding || a != kernel.effectiveAnchor { return nil }
            geometry = (padding, kernel.effectiveAnchor, size)
        }
        guard let (padding, anchor, size) = geometry,
              max(padding.top, padding.bottom) <= Self.maximumStreamedPadding else { return nil }
        return Plan(inputSize: Pair(height, width), outputSize: size, padding: padding,
                    span: options.dilation.y * (first.height - 1) + 1, stride: options.stride.y,
                    anchorRow: anchor.y * options.dilation.y)
    }

    /// The options each band is filtered with: no padding above and below (the band holds those rows).
    func bandOptions(_ plan: Plan) -> FilterOptions {
        var bandOptions = options
        bandOptions.padding = .explicit(Padding(top: 0, bottom: 0, left: plan.padding.left, right: plan.padding.right))
        return bandOptions
    }

    /// The filter's routes for the bands of an image with `channels` samples per pixel, chosen once
    /// (`route`: the one `FEATMAP_ROUTE` forces, if any). Bands must be cut at a multiple of its
    /// `rowMultiple` to give the whole image's numbers.
    func filterPlan(_ plan: Plan, channels: Int, route: FilterRoute?) throws -> FilterPlan {
        let colourCount = channels == 2 || channels == 4 ? channels - 1 : channels
        let planeCount = options.gray && colourCount == 3 ? 1 : colourCount
        return try FilterPlan.choose(filter, options: bandOptions(plan), channels: planeCount, width: plan.inputSize.x,
                                     route: route)
    }

    /// Filters the rows `reader` delivers and hands each band's raw responses to `body`, top to bottom
    /// (`responses` [C, n, Wo] and alpha n·Wo). Throws what the reader, the filter or `body` throws.
    /// `filterPlan` (from `filterPlan(_:channels:route:)`) is chosen here when nil.
    public func run(_ reader: ImageReader, plan: Plan, _ body: (FilterResponse) throws -> Void) throws {
        try run(reader, plan: plan, filterPlan: nil, body)
    }

    func run(_ reader: ImageReader, plan: Plan, filterPlan: FilterPlan?, _ body: (FilterResponse) throws -> Void) throws {
        let header = reader.header
        let (h, w, channels) = (header.height, header.width, header.channels)
        guard plan.inputSize == Pair(h, w) else {
            throw EngineError.shapeMismatch("the band plan is for \(plan.inputSize.y)×\(plan.inputSize.x), the image is \(h)×\(w)")
        }
        let hasAlpha = channels == 2 || channels == 4
        let rowSamples = w * channels
        let bandOptions = bandOptions(plan)
        let routes = try filterPlan ?? self.filterPlan(plan, channels: channels, route: FilterRoute.fromEnvironment())
        // FFT tiles sit at multiples of their height: bands cut elsewhere would not give the whole image's numbers.
        let bandRows = (self.bandRows + routes.rowMultiple - 1) / routes.rowMultiple * routes.rowMultiple
        let bands = stride(from: 0, to: plan.outputSize.y, by: bandRows).map { $0 ..< min($0 + bandRows, plan.outputSize.y) }

        // Padded rows a band reads, and the source rows behind its colour and alpha.
        func paddedRows(_ band: Range<Int>) -> Range<Int> {
            band.lowerBound * plan.stride ..< (band.upperBound - 1) * plan.stride + plan.span
        }
        func colourRow(_ p: Int) -> Int? { options.border.sourceIndex(p - plan.padding.top, count: h) }
        func alphaRow(_ p: Int) -> Int { min(max(p - plan.padding.top, 0), h - 1) }
        // Lowest and highest source row each band reads; a row can leave the window once no band
        // from here on reads it.
        var lowest: [Int] = [], highest: [Int] = []
        for band in bands {
            var lo = Int.max, hi = -1
            for p in paddedRows(band) {
                for r in [colourRow(p), hasAlpha ? alphaRow(p) : nil].compactMap({ $0 }) { lo = min(lo, r); hi = max(hi, r) }
            }
            lowest.append(lo); highest.append(hi)
        }
        var keepFrom = lowest
        for b in stride(from: bands.count - 2, through: 0, by: -1) { keepFrom[b] = min(keepFrom[b], keepFrom[b + 1]) }

        // The window holds source rows windowStart ..< decoded. Before each band, the rows no band from
        // here on reads leave it (only the overlap with the previous band is copied), and the new rows
        // are decoded straight into its tail.
        let rowsIn = RowPrefetcher(reader, chunkRows: max(1, min(h, 16)))
        defer { rowsIn.cancel() }
        var window: [Float] = []
        var windowStart = 0, decoded = 0
        let chunk = max(1, min(h, 16))  // rows skipped at a time
        let colourCount = hasAlpha ? channels - 1 : channels
        let gray = options.gray && colourCount == 3
        let planeCount = gray ? 1 : colourCount
        for (b, band) in bands.enumerated() {
            // The first source row that this band or a later one reads.
            let needed = keepFrom[b] == Int.max ? decoded : keepFrom[b]
            var keep = min(max(windowStart, needed), decoded)
            while decoded < needed {
                // Rows no band reads (a stride that steps over them) are decoded and dropped.
                let n = min(chunk, needed - decoded)
                try rowsIn.skipRows(n)
                decoded += n
                keep = decoded
            }
            let wanted = max(decoded, highest[b] + 1)
            let kept = decoded - keep, fresh = wanted - decoded
            if keep != windowStart || fresh > 0 {
                var failure: Error? = nil
                let count = (kept + fresh) * rowSamples
                window = try window.withUnsafeBufferPointer { old in
                    let next = [Float](unsafeUninitializedCapacity: count) { dst, initialized in
                        if kept > 0 {
                            dst.baseAddress!.update(from: old.baseAddress! + (keep - windowStart) * rowSamples, count: kept * rowSamples)
                        }
                        if fresh > 0 {
                            do { try rowsIn.readRows(fresh, into: dst.baseAddress! + kept * rowSamples) } catch {
                                (dst.baseAddress! + kept * rowSamples).initialize(repeating: 0, count: fresh * rowSamples)
                                failure = error
                            }
                        }
                        initialized = count
                    }
                    if let failure { throw failure }
                    return next
                }
                windowStart = keep
                decoded = wanted
            }
            // The band's colour planes [C, rows, w] (grey when asked) and alpha, in one pass over the
            // window: padded row p holds source row colourRow(p), or zeros.
            let rows = paddedRows(band)
            let planeSize = rows.count * w
            var alpha: [Float]? = hasAlpha ? LargeBuffer.uninitialized(planeSize) : nil
            var planes = LargeBuffer.uninitialized(planeCount * planeSize)
            let colourRows = rows.map { colourRow($0).map { $0 - windowStart } ?? -1 }
            let alphaRows = rows.map { alphaRow($0) - windowStart }
            window.withUnsafeBufferPointer { srcBuf in
                planes.withUnsafeMutableBufferPointer { dstBuf in
                    let src = SendableConstPointer(srcBuf.baseAddress!), dst = SendablePointer(dstBuf.baseAddress!)
                    Parallel.forEachChunk(rows.count, minimumChunk: 4) { range in
                        for t in range {
                            guard colourRows[t] >= 0 else {
                                for c in 0..<planeCount { (dst.base + c * planeSize + t * w).update(repeating: 0, count: w) }
                                continue
                            }
                            let row = src.base + colourRows[t] * rowSamples
                            if gray {
                                // Image.grayscale's expression, term for term.
                                let out = dst.base + t * w
                                for x in 0..<w {
                                    let red = row[x * channels], green = row[x * channels + 1], blue = row[x * channels + 2]
                                    out[x] = 0.299 * red + 0.587 * green + 0.114 * blue
                                }
                            } else if channels == 1 {
                                (dst.base + t * w).update(from: row, count: w)
                            } else if planeCount == 3 {
                                // RGB(A) in one pass over the row rather than one strided pass per plane.
                                let red = dst.base + t * w, green = red + planeSize, blue = green + planeSize
                                for x in 0..<w {
                                    let pixel = row + x * channels
                                    red[x] = pixel[0]; green[x] = pixel[1]; blue[x] = pixel[2]
                                }
                            } else {
                                for c in 0..<planeCount {
                                    let out = dst.base + c * planeSize + t * w
                                    for x in 0..<w { out[x] = row[x * channels + c] }
                                }
                            }
                        }
                    }
                }
                if hasAlpha {
                    alpha!.withUnsafeMutableBufferPointer { dst in
                        for t in 0..<rows.count {
                            let row = srcBuf.baseAddress! + alphaRows[t] * rowSamples
                            for x in 0..<w { dst[t * w + x] = row[x * channels + channels - 1] }
                        }
                    }
                }
            }
            let planesTensor = Tensor(shape: [planeCount, rows.count, w], storage: planes)
            let response = try filter.applied(toPlanes: planesTensor, alpha: alpha, bitDepth: header.bitDepth, options: bandOptions,
                                              plan: routes)
            guard response.responses.shape.count == 3, response.responses.shape[1] == band.count else {
                throw EngineError.shapeMismatch("band \(band) gave responses of shape \(response.responses.shape); this is a bug in featmap")
            }
            try body(response)
        }
        // Rows no band reads (below the last window) are still decoded, so that a damaged end of
        // file fails here as it does on the whole-image path.
        try rowsIn.finish()
    }
}
