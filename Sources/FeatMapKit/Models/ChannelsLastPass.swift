import CVectorMath

extension Graph {
    /// Runs node `i` on channels-last values ([N, H, W, C], `lastValues`) when its data input is one and
    /// the operator is one of those between a CNN's convolutions: an activation, BatchNormalization, an
    /// Add or Mul of two such values (or a Mul by a [N, C, 1, 1] scale), MaxPool, AveragePool,
    /// GlobalAveragePool and a channel Concat. Each gives the bits its ONNX-layout form gives (the same
    /// arithmetic in the same order per channel; `fm_vector_math.h`), so the layout changes back only
    /// where another operator reads the value. Returns the result and whether it is channels-last
    /// (GlobalAveragePool's [N, C, 1, 1] is the same either way, so it goes back to ONNX layout); nil when
    /// the node is not one of these, or has attributes they do not cover: the plain path runs it then
    /// (and reports any error).
    func channelsLastNode(_ i: Int, values: [String: Tensor], lastValues: inout [String: Tensor], lastUse: [String: Int],
                          kept: Set<String>) throws -> (value: Tensor, channelsLast: Bool)? {
        let node = nodes[i]
        // (The shape only: holding the tensor would make writing into its storage copy it.)
        guard node.outputs.count == 1, let first = node.inputs.first, let shape = lastValues[first]?.shape else { return nil }
        func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : weights[name] }
        // The input's storage to write into when nothing reads it later.
        func writable(_ name: String) -> [Float]? {
            guard lastUse[name] == i, name != inputName, !kept.contains(name), values[name] == nil,
                  node.inputs.filter({ $0 == name }).count == 1 else { return nil }
            return lastValues.removeValue(forKey: name)!.storage
        }
        // dst = f(src) on the input's values, in place when nothing reads them later, else into a new buffer.
        func mapped(_ body: @escaping @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Range<Int>) -> Void) -> Tensor {
            let pixels = shape[0] * shape[1] * shape[2], c = shape[3]
            var out: [Float]
            if var own = writable(first) {
                own.withUnsafeMutableBufferPointer { buf in
                    let p = SendablePointer(buf.baseAddress!)
                    Parallel.forEachChunk(pixels, minimumChunk: max(1, (1 << 15) / max(1, c))) { body(p.base, UnsafePointer(p.base), $0) }
                }
                out = own
            } else {
                out = LargeBuffer.uninitialized(pixels * c)
                lastValues[first]!.storage.withUnsafeBufferPointer { src in
                    out.withUnsafeMutableBufferPointer { buf in
                        let p = SendablePointer(buf.baseAddress!), q = SendableConstPointer(src.baseAddress!)
                        Parallel.forEachChunk(pixels, minimumChunk: max(1, (1 << 15) / max(1, c))) { body(p.base, q.base, $0) }
                    }
                }
            }
            return Tensor(shape: shape, storage: out)
        }
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        switch node.op {
        case _ where isActivation(node):
            // Clip's bounds must be constants, as when a Conv takes the activation.
            guard node.inputs.dropFirst().allSatisfy({ $0.isEmpty || constant($0) != nil }),
                  let activation = activation(node, [nil] + node.inputs.dropFirst().map(constant)) else { return nil }
            var t = Tensor(shape: shape, storage: writable(first) ?? lastValues[first]!.storage)
            activation.apply(to: &t)
            return (t, true)
        case "BatchNormalization":
            guard node.inputs.count == 5, node.int("training_mode", default: 0) == 0,
                  let scale = constant(node.inputs[1]), let bias = constant(node.inputs[2]),
                  let mean = constant(node.inputs[3]), let variance = constant(node.inputs[4]),
                  scale.count == c, bias.count == c, mean.count == c, variance.count == c else { return nil }
            let (a, o) = try BatchNormalization(scale: scale.storage, bias: bias.storage, mean: mean.storage,
                                                variance: variance.storage, epsilon: node.float("epsilon", default: 1e-5)).folded
            return (mapped { dst, src, range in fm_affine_channels_last(dst, src, c, a, o, range.lowerBound, range.upperBound) }, true)
        case "Add", "Mul":
            guard node.inputs.count == 2, operatorUnit(of: node) is ArithmeticOperator else { return nil }
            let other = node.inputs[1]
            if let y = lastValues[other], y.shape == shape {
                let add = node.op == "Add"
                return (y.storage.withUnsafeBufferPointer { b in
                    let bp = SendableConstPointer(b.baseAddress!)
                    return mapped { dst, src, range in
                        let (lo, hi) = (range.lowerBound * c, range.upperBound * c)
                        if add { for j in lo..<hi { dst[j] = src[j] + bp.base[j] } } else { for j in lo..<hi { dst[j] = src[j] * bp.base[j] } }
                    }
                }, true)
            }
            // x · s with s [N, C, 1, 1] (or [1, C, 1, 1]): squeeze-and-excitation's rescaling.
            // (A channels-last [N, 1, 1, C] holds the same values in the same order.)
            let scaleValue = values[other] ?? constant(other) ?? lastValues[other].map { ChannelsLast.back($0) }
            guard node.op == "Mul", let s = scaleValue, s.rank == 4, s.shape[1] == c, s.shape[2] == 1,
                  s.shape[3] == 1, s.shape[0] == n || s.shape[0] == 1 else { return nil }
            let perImage = h * w, sharedScale = s.shape[0] == 1
            return (s.storage.withUnsafeBufferPointer { sb in
                let sp = SendableConstPointer(sb.baseAddress!)
                return mapped { dst, src, range in
                    // Pixels of several images: each run of one image's pixels with its scale.
                    var p = range.lowerBound
                    while p < range.upperBound {
                        let image = p / perImage, end = min(range.upperBound, (image + 1) * perImage)
                        fm_scale_channels_last(dst, src, c, sp.base + (sharedScale ? 0 : image * c), p, end)
                        p = end
                    }
                }
            }, true)
        case "MaxPool", "AveragePool":
            guard node.inputs.count == 1, let unit = operatorUnit(of: node) as? WindowPoolingOperator,
                  let pool = try? node.pooling(kind: unit.kind, height: h, width: w),
                  let out = try? pool.outputSize(height: h, width: w), c > 0 else { return nil }
            return (pooled(lastValues[first]!, pool, out), true)
        case "GlobalAveragePool":
            guard node.inputs.count == 1, h * w > 0 else { return nil }
            var result = [Float](repeating: 0, count: n * c)
            lastValues[first]!.storage.withUnsafeBufferPointer { src in
                result.withUnsafeMutableBufferPointer { dst in
                    let s = SendableConstPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!)
                    for image in 0..<n {
                        Parallel.forEachChunk(c, minimumChunk: 64) { r in
                            let sums = UnsafeMutablePointer<Double>.allocate(capacity: r.count)
                            defer { sums.deallocate() }
                            fm_channel_means_channels_last(d.base + image * c, s.base + image * h * w * c, c, h * w,
                                                           r.lowerBound, r.upperBound, sums)
                        }
                    }
                }
            }
            return (Tensor(shape: [n, c, 1, 1], storage: result), false)
        case "Concat":
            guard isConcatenation(i), [1, -3].contains(node.int("axis", default: 1)) else { return nil }
            var parts: [Tensor] = []
            for name in node.inputs {
                if let t = lastValues[name] {
                    parts.append(t)
                } else if let t = values[name], t.rank == 4 {
                    parts.append(ChannelsLast.from(t))
                } else {
                    return nil
                }
            }
            guard parts.allSatisfy({ $0.shape[0] == n && $0.shape[1] == h && $0.shape[2] == w }) else { return nil }
            return (ChannelsLast.joined(parts), true)
        default:
            return nil
        }
    }

    /// `pool` on channels-last `x`, output rows split over the workers.
    private func pooled(_ x: Tensor, _ pool: Pooling, _ out: Pair) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // Pooling's own windows.
        func axis(_ o: Int, _ s: Int, _ before: Int, _ k: Int, _ d: Int, _ size: Int, _ after: Int) -> fm_window_axis {
            let (first, taps, padded) = Pooling.window(o, s, before, k, d, size, after)
            return fm_window_axis(first: first, taps: taps, padded: padded)
        }
        let rows = (0..<out.y).map { axis($0, pool.stride.y, pool.padding.top, pool.kernel.y, pool.dilation.y, h, pool.padding.bottom) }
        let columns = (0..<out.x).map { axis($0, pool.stride.x, pool.padding.left, pool.kernel.x, pool.dilation.x, w, pool.padding.right) }
        var result = LargeBuffer.uninitialized(n * out.y * out.x * c)
        let isMax: Int32 = pool.kind == .max ? 1 : 0, includePad: Int32 = pool.countIncludePad ? 1 : 0
        let (dy, dx) = (pool.dilation.y, pool.dilation.x)
        x.storage.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                rows.withUnsafeBufferPointer { rb in
                    columns.withUnsafeBufferPointer { cb in
                        let s = SendableConstPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!)
                        let r = SendableConstPointer(rb.baseAddress!), q = SendableConstPointer(cb.baseAddress!)
                        for image in 0..<n {
                            Parallel.forEachChunk(out.y) { range in
                                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
                                defer { scratch.deallocate() }
                                fm_pool_channels_last(d.base + image * out.y * out.x * c, s.base + image * h * w * c, c, w, out.x,
                                                      r.base, q.base, dy, dx, isMax, includePad, range.lowerBound, range.upperBound, scratch)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, out.y, out.x, c], storage: result)
    }
}
