import CDNNL
import CVectorMath
import Synchronization

/// A convolution on oneDNN's own convolution primitive, on channels-last images ([N, H, W, C]): the
/// inference pass's fast path (`Graph.forwardFused`). oneDNN picks a direct or 1×1 kernel for the CPU
/// (`brgconv:avx512_core` here), reads the weights in its own layout (reordered once, when the plan is
/// made) and applies the bias, a residual sum and the activation as it writes each block. The sums run
/// in oneDNN's order, not the im2col product's, so values differ from `Convolution` by a few ulp of the
/// largest term (tests hold them within 1e-5 of it); NaN and infinities propagate as there.
///
/// The output rows are split into one band per worker, each band its own primitive run on one thread of
/// featmap's pool (`Parallel`), so no OpenMP team starts beside featmap's workers.
final class ChannelsLastConvolution: @unchecked Sendable {
    private let plan: OpaquePointer
    let outputChannels: Int
    let inputChannels: Int
    let inputSize: Pair
    let outputSize: Pair
    /// oneDNN's name of the kernel it chose.
    let kernelName: String

    /// The plan for `convolution` on [C, H, W] images of `size`, with `activation` and, when `sum`, the
    /// output buffer's contents added before it. Nil when oneDNN has no primitive for it (the reason in
    /// `failure`), or when the convolution is not one oneDNN's zero padding can do.
    init?(_ convolution: Convolution, channels: Int, size: Pair, activation: Activation?, sum: Bool) {
        guard convolution.border == .zero, let out = try? convolution.outputSize(height: size.y, width: size.x),
              channels == convolution.inputChannelsPerGroup * convolution.groups else { return nil }
        let w = convolution.weights, p = convolution.padding
        // oneDNN's sizes are 32-bit here: a stride or dilation of billions (legal in a file) stays on the plain path.
        let sizes = [channels, size.y, size.x, w.shape[0], w.shape[2], w.shape[3], convolution.groups, convolution.stride.y,
                     convolution.stride.x, convolution.dilation.y, convolution.dilation.x, p.top, p.left, p.bottom, p.right,
                     out.y, out.x, out.y * out.x * w.shape[0]]
        guard sizes.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else { return nil }
        let (code, alpha, beta) = Self.postOp(activation)
        var shape = fm_conv_shape(channels: Int32(channels), height: Int32(size.y), width: Int32(size.x),
                                  filters: Int32(convolution.outputChannels), groups: Int32(convolution.groups),
                                  kernel_h: Int32(w.shape[2]), kernel_w: Int32(w.shape[3]),
                                  stride_h: Int32(convolution.stride.y), stride_w: Int32(convolution.stride.x),
                                  dilation_h: Int32(convolution.dilation.y), dilation_w: Int32(convolution.dilation.x),
                                  pad_top: Int32(p.top), pad_left: Int32(p.left), pad_bottom: Int32(p.bottom), pad_right: Int32(p.right),
                                  out_h: Int32(out.y), out_w: Int32(out.x), bands: Int32(Parallel.workers),
                                  activation: code, alpha: alpha, beta: beta, sum: sum ? 1 : 0)
        var error = [CChar](repeating: 0, count: 256)
        let made: OpaquePointer? = w.storage.withUnsafeBufferPointer { wb in
            if let bias = convolution.bias {
                return bias.withUnsafeBufferPointer { fm_conv_create(&shape, wb.baseAddress, $0.baseAddress, &error, error.count) }
            }
            return fm_conv_create(&shape, wb.baseAddress, nil, &error, error.count)
        }
        guard let made else { return nil }
        plan = made
        outputChannels = convolution.outputChannels
        inputChannels = channels
        inputSize = size
        outputSize = out
        kernelName = String(cString: fm_conv_kernel(made))
    }

    deinit { fm_conv_destroy(plan) }

    /// oneDNN's post-op for `activation`: FM_CONV_*, α and β.
    private static func postOp(_ activation: Activation?) -> (Int32, Float, Float) {
        switch activation {
        case nil: return (Int32(FM_CONV_NONE), 0, 0)
        case .relu?: return (Int32(FM_CONV_RELU), 0, 0)
        case .leakyRelu(let alpha)?: return (Int32(FM_CONV_RELU), alpha, 0)
        case .clip(let lo, let hi)?: return (Int32(FM_CONV_CLIP), lo, hi)
        case .sigmoid?: return (Int32(FM_CONV_SIGMOID), 0, 0)
        case .tanh?: return (Int32(FM_CONV_TANH), 0, 0)
        case .silu?: return (Int32(FM_CONV_SILU), 0, 0)
        }
    }

    /// Runs on `images` channels-last images at `source` into `destination` (which holds the tensor to add
    /// when the plan sums), the bands of each image side by side on the workers.
    func run(images: Int, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) throws {
        let bands = Int(fm_conv_bands(plan))
        let inCount = inputChannels * inputSize.y * inputSize.x, outCount = outputChannels * outputSize.y * outputSize.x
        let src = SendableConstPointer(source), dst = SendablePointer(destination), plan = SendablePlan(pointer: plan)
        let failed = Atomic<Int32>(0)
        for n in 0..<images {
            Parallel.forEachChunk(bands) { range in
                for band in range {
                    let status = fm_conv_run(plan.pointer, Int32(band), src.base + n * inCount, dst.base + n * outCount)
                    if status != 0 { failed.store(status, ordering: .relaxed) }
                }
            }
        }
        let status = failed.load(ordering: .relaxed)
        if status != 0 { throw EngineError.invalidParameter("oneDNN's convolution failed (status \(status))") }
    }
}

private struct SendablePlan: @unchecked Sendable { let pointer: OpaquePointer }

/// The channels-last plans of one prepared graph, made on first use and kept for every pass on it.
final class ChannelsLastPlans: @unchecked Sendable {
    private let plans = Mutex<[Int: ChannelsLastConvolution?]>([:])

    /// The plan for node `node`, made by `make` the first time (nil, remembered, when it cannot be made).
    func plan(for node: Int, _ make: () -> ChannelsLastConvolution?) -> ChannelsLastConvolution? {
        if let known = plans.withLock({ $0[node] }) { return known }
        let made = make()
        plans.withLock { $0[node] = made }
        return made
    }
}

/// Layout changes between [N, C, H, W] and the channels-last [N, H, W, C], split over the workers by rows.
enum ChannelsLast {
    /// `t` ([N, C, H, W]) laid out [N, H, W, C]; the tensor's shape says so.
    static func from(_ t: Tensor) -> Tensor {
        precondition(t.rank == 4)
        let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        return Tensor(shape: [n, h, w, c], storage: convert(t.storage, images: n, c, h, w, toLast: true))
    }

    /// `t` ([N, H, W, C]) back in [N, C, H, W].
    static func back(_ t: Tensor) -> Tensor {
        precondition(t.rank == 4)
        let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        return Tensor(shape: [n, c, h, w], storage: convert(t.storage, images: n, c, h, w, toLast: false))
    }

    /// Channels-last tensors of one size joined along their channels, in channels-last layout.
    static func joined(_ parts: [Tensor]) -> Tensor {
        let (n, h, w) = (parts[0].shape[0], parts[0].shape[1], parts[0].shape[2])
        return join(parts, shape: { [n, h, w, $0] }) { d, s, c, total, at in
            Parallel.forEachChunk(n * h * w, minimumChunk: max(1, (1 << 14) / max(1, c))) { range in
                for p in range { (d.base + p * total + at).update(from: s.base + p * c, count: c) }
            }
        }
    }

    /// The same join in ONNX layout, [N, C, H, W]: each part changes layout straight into its channels.
    static func back(joining parts: [Tensor]) -> Tensor {
        let (n, h, w) = (parts[0].shape[0], parts[0].shape[1], parts[0].shape[2])
        return join(parts, shape: { [n, $0, h, w] }) { d, s, c, total, at in
            for image in 0..<n {
                Parallel.forEachChunk(h, minimumChunk: max(1, 4096 / max(1, c * w))) { rows in
                    fm_to_channels_first(d.base + (image * total + at) * h * w, s.base + image * h * w * c, c, h, w,
                                         rows.lowerBound, rows.upperBound)
                }
            }
        }
    }

    /// A tensor of `shape(total channels)` that `copy(destination, part, part's channels, total, offset)`
    /// fills with each part in turn.
    private static func join(_ parts: [Tensor], shape: (Int) -> [Int],
                             _ copy: (SendablePointer<Float>, SendableConstPointer<Float>, Int, Int, Int) -> Void) -> Tensor {
        let total = parts.reduce(0) { $0 + $1.shape[3] }
        let dims = shape(total)
        var result = LargeBuffer.uninitialized(dims.reduce(1, *))
        guard !result.isEmpty else { return Tensor(shape: dims, storage: result) }
        result.withUnsafeMutableBufferPointer { dst in
            var offset = 0
            for part in parts {
                part.storage.withUnsafeBufferPointer { src in
                    copy(SendablePointer(dst.baseAddress!), SendableConstPointer(src.baseAddress!), part.shape[3], total, offset)
                }
                offset += part.shape[3]
            }
        }
        return Tensor(shape: dims, storage: result)
    }

    private static func convert(_ values: [Float], images: Int, _ c: Int, _ h: Int, _ w: Int, toLast: Bool) -> [Float] {
        var out = LargeBuffer.uninitialized(values.count)
        let per = c * h * w
        guard per > 0 else { return out }
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = SendableConstPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!)
                for n in 0..<images {
                    Parallel.forEachChunk(h, minimumChunk: max(1, 4096 / max(1, c * w))) { rows in
                        let from = s.base + n * per, to = d.base + n * per
                        if toLast {
                            fm_to_channels_last(to, from, c, h, w, rows.lowerBound, rows.upperBound)
                        } else {
                            fm_to_channels_first(to, from, c, h, w, rows.lowerBound, rows.upperBound)
                        }
                    }
                }
            }
        }
        return out
    }
}
