import CFFTW
import Foundation

/// A depthwise convolution of one kernel on every plane (stride 1, any dilation, padding and border)
/// by the discrete Fourier transform, for large kernels that do not split into 1-D passes: overlap-save
/// over tiles of the padded input. Each tile of Ny × Nx padded samples is transformed (FFTW, single
/// precision), multiplied by the conjugate of the kernel's spectrum and transformed back, which is the
/// circular cross-correlation of the tile with the kernel; its first Ty = Ny − Sy + 1 rows and
/// Tx = Nx − Sx + 1 columns (S: the dilated span) did not wrap and are the direct window's sums, up to
/// float rounding (about 1e-6 of the largest response here; the tests allow 1e-4).
///
/// Cost per output is about (Ny·Nx)/(Ty·Tx) · log₂(Ny·Nx) instead of kh·kw multiply-adds: a 31 × 31
/// kernel costs roughly 30 times less than the direct window.
///
/// A tile holds only the samples its outputs read (zeros past them), and tiles sit at multiples of Ty
/// output rows, so that a band of rows cut at a multiple of Ty (`FilterPlan.rowMultiple`) gives the same
/// numbers as the whole image. The FFTW plans and the kernel's spectrum are made once (per image, in
/// `FilterPlan`) and executed from every worker with FFTW's new-array functions; the planner itself is
/// not thread-safe, so plans are made and destroyed under `FFTConvolution.planner`.
///
/// The transform spreads a NaN or infinity over the whole tile, where the direct window keeps it to the
/// outputs that read it: `FilterPlan` sends kernels with such values, and `applied(to:)` inputs with them,
/// to the direct window.
final class FFTConvolution: @unchecked Sendable {
    /// The FFTW planner's lock (plan creation and destruction).
    static let planner = NSLock()

    let direct: Convolution
    /// Dilated span of the kernel, tile size (Ny, Nx) and outputs per tile (Ty, Tx).
    let span: Pair, tile: Pair, step: Pair
    /// Complex values per tile spectrum: Ny · (Nx/2 + 1).
    let spectrumCount: Int
    /// conj(FFT(kernel)) / (Ny·Nx), interleaved re, im.
    private let spectrum: UnsafeMutablePointer<Float>
    private let forward: OpaquePointer, inverse: OpaquePointer

    /// Tile sides tried: FFTW's fastest sizes (2^a and 3·2^a).
    static let sides = [32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]

    /// The tile (Ny, Nx) for a kernel of span `span` over padded inputs `paddedWidth` wide, and its
    /// estimated cost per output in multiply-add equivalents
    /// (`FilterPlan.fftCostScale` · (Ny·Nx)/(Ty·Tx) · (log₂(Ny·Nx) + 2)). nil when no tile fits.
    /// Ny is the smallest side whose Ty is at least 3 · (Sy − 1) (and 16): a band holds a whole number
    /// of tile rows, so taller tiles, which cost a little less per output (512 rather than 128 rows: 10%
    /// for a 31 × 31 kernel), would make every band of floats four times larger; Nx is the cheapest side.
    static func bestTile(span: Pair, paddedWidth: Int) -> (tile: Pair, cost: Double)? {
        var best: (Pair, Double)?
        let widest = max(32, paddedWidth.nextPowerOfTwo)
        guard let ny = sides.first(where: { $0 - span.y + 1 >= max(16, 3 * (span.y - 1)) }) else { return nil }
        let ty = ny - span.y + 1
        for nx in sides where nx - span.x + 1 >= max(16, span.x) && nx <= widest {
            let tx = min(nx - span.x + 1, paddedWidth - span.x + 1)
            guard tx >= 1 else { continue }
            let points = Double(ny * nx)
            let cost = FilterPlan.fftCostScale * points / Double(ty * tx) * (log2(points) + 2)
            if best == nil || cost < best!.1 { best = (Pair(ny, nx), cost) }
        }
        return best
    }

    /// nil when the convolution strides, has a bias, is not depthwise with one kernel for every plane,
    /// or no tile fits the padded width.
    init?(_ direct: Convolution, inputWidth: Int) {
        let (kh, kw) = (direct.kernelSize.y, direct.kernelSize.x)
        let channels = direct.outputChannels
        guard direct.stride == .one, direct.bias == nil, direct.inputChannelsPerGroup == 1, direct.groups == channels,
              channels >= 1 else { return nil }
        let values = Array(direct.weights.storage[0 ..< kh * kw])
        for c in 1 ..< channels where Array(direct.weights.storage[c * kh * kw ..< (c + 1) * kh * kw]) != values { return nil }
        guard values.allSatisfy(\.isFinite) else { return nil }
        let span = Pair(direct.dilation.y * (kh - 1) + 1, direct.dilation.x * (kw - 1) + 1)
        let paddedWidth = inputWidth + direct.padding.left + direct.padding.right
        guard paddedWidth >= span.x, let (tile, _) = Self.bestTile(span: span, paddedWidth: paddedWidth) else { return nil }
        self.direct = direct
        self.span = span
        self.tile = tile
        step = Pair(tile.y - span.y + 1, tile.x - span.x + 1)
        spectrumCount = tile.y * (tile.x / 2 + 1)
        let real = fftwf_alloc_real(tile.y * tile.x)!
        let complex = fftwf_alloc_complex(spectrumCount)!
        defer { fftwf_free(real); fftwf_free(complex) }
        (forward, inverse) = Self.planner.withLock {
            (fftwf_plan_dft_r2c_2d(Int32(tile.y), Int32(tile.x), real, complex, UInt32(FFTW_ESTIMATE))!,
             fftwf_plan_dft_c2r_2d(Int32(tile.y), Int32(tile.x), complex, real, UInt32(FFTW_ESTIMATE))!)
        }
        // The dilated kernel at the tile's origin, transformed, conjugated and scaled by 1/(Ny·Nx).
        real.initialize(repeating: 0, count: tile.y * tile.x)
        for i in 0 ..< kh {
            for j in 0 ..< kw { real[i * direct.dilation.y * tile.x + j * direct.dilation.x] = values[i * kw + j] }
        }
        fftwf_execute_dft_r2c(forward, real, complex)
        spectrum = UnsafeMutablePointer<Float>.allocate(capacity: 2 * spectrumCount)
        let scale = 1 / Float(tile.y * tile.x)
        UnsafeMutableRawPointer(complex).withMemoryRebound(to: Float.self, capacity: 2 * spectrumCount) { k in
            for i in 0 ..< spectrumCount {
                spectrum[2 * i] = k[2 * i] * scale
                spectrum[2 * i + 1] = -k[2 * i + 1] * scale
            }
        }
    }

    deinit {
        Self.planner.withLock {
            fftwf_destroy_plan(forward)
            fftwf_destroy_plan(inverse)
        }
        spectrum.deallocate()
    }

    /// The depthwise convolution of a [C, H, W] tensor, [C, Ho, Wo]; the direct window when the input
    /// holds a NaN or an infinity.
    func applied(to input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape, c == direct.outputChannels else {
            throw EngineError.shapeMismatch("the filters expect \(direct.outputChannels) input planes, the input has shape \(input.shape)")
        }
        guard input.storage.withUnsafeBufferPointer(ToeplitzPasses.isFinite) else { return try direct.applied(to: input) }
        let padding = direct.padding, border = direct.border
        let out = try Convolution.outputSize(input: Pair(h, w), kernel: direct.kernelSize, stride: .one,
                                             dilation: direct.dilation, padding: padding)
        let paddedWidth = w + padding.left + padding.right
        // Each padded column's input column (−1: zero), and each padded row's input row.
        let columns = (0 ..< paddedWidth).map { border.sourceIndex($0 - padding.left, count: w) ?? -1 }
        let rows = (0 ..< (h + padding.top + padding.bottom)).map { border.sourceIndex($0 - padding.top, count: h) ?? -1 }
        let tilesDown = (out.y + step.y - 1) / step.y, tilesAcross = (out.x + step.x - 1) / step.x
        var result = LargeBuffer.uninitialized(c * out.y * out.x)
        let (tile, step, span, spectrumCount) = (self.tile, self.step, self.span, self.spectrumCount)
        input.storage.withUnsafeBufferPointer { srcBuf in
            result.withUnsafeMutableBufferPointer { dstBuf in
                let src = SendableConstPointer(srcBuf.baseAddress!), dst = SendablePointer(dstBuf.baseAddress!)
                Parallel.forEachChunk(c * tilesDown * tilesAcross) { range in
                    let real = fftwf_alloc_real(tile.y * tile.x)!
                    let complex = fftwf_alloc_complex(spectrumCount)!
                    defer { fftwf_free(real); fftwf_free(complex) }
                    for item in range {
                        let ch = item / (tilesDown * tilesAcross), t = item % (tilesDown * tilesAcross)
                        let oy0 = (t / tilesAcross) * step.y, ox0 = (t % tilesAcross) * step.x
                        let outRows = min(step.y, out.y - oy0), outColumns = min(step.x, out.x - ox0)
                        let inRows = outRows + span.y - 1, inColumns = outColumns + span.x - 1
                        let plane = src.base + ch * h * w
                        // Only the samples these outputs read; zeros past them, whatever lies there.
                        for y in 0 ..< tile.y {
                            let line = real + y * tile.x
                            let r = y < inRows ? rows[oy0 + y] : -1
                            guard r >= 0 else { line.update(repeating: 0, count: tile.x); continue }
                            let sourceLine = plane + r * w
                            for x in 0 ..< inColumns {
                                let column = columns[ox0 + x]
                                line[x] = column >= 0 ? sourceLine[column] : 0
                            }
                            (line + inColumns).update(repeating: 0, count: tile.x - inColumns)
                        }
                        fftwf_execute_dft_r2c(self.forward, real, complex)
                        UnsafeMutableRawPointer(complex).withMemoryRebound(to: Float.self, capacity: 2 * spectrumCount) { z in
                            self.multiplyBySpectrum(z)
                        }
                        fftwf_execute_dft_c2r(self.inverse, complex, real)
                        let target = dst.base + (ch * out.y + oy0) * out.x + ox0
                        for y in 0 ..< outRows { (target + y * out.x).update(from: real + y * tile.x, count: outColumns) }
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
    }

    /// z ← z · conj(K) / (Ny·Nx), two complex values at a time.
    @inline(__always)
    private func multiplyBySpectrum(_ z: UnsafeMutablePointer<Float>) {
        let k = UnsafeRawPointer(spectrum), zr = UnsafeMutableRawPointer(z)
        var i = 0
        while i + 2 <= spectrumCount {
            let a = zr.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Float>.self)
            let b = k.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Float>.self)
            // (ar + i·ai)(br + i·bi) = (ar·br − ai·bi) + i(ar·bi + ai·br)
            let re = SIMD4(a[0], a[0], a[2], a[2]) * b
            let im = SIMD4(a[1], a[1], a[3], a[3]) * SIMD4(-b[1], b[0], -b[3], b[2])
            zr.storeBytes(of: re + im, toByteOffset: i * 8, as: SIMD4<Float>.self)
            i += 2
        }
        if i < spectrumCount {
            let (ar, ai, br, bi) = (z[2 * i], z[2 * i + 1], spectrum[2 * i], spectrum[2 * i + 1])
            z[2 * i] = ar * br - ai * bi
            z[2 * i + 1] = ar * bi + ai * br
        }
    }
}

private extension Int {
    var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
