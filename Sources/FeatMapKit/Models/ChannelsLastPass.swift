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
        guard node.outputs.count == 1, let first = node.inputs.first, let x = lastValues[first] else { return nil }
        func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : weights[name] }
        // The input's storage to write into when nothing reads it later, else a copy.
        func writable(_ name: String) -> [Float] {
            if lastUse[name] == i, name != inputName, !kept.contains(name), values[name] == nil, node.inputs.filter({ $0 == name }).count == 1 {
                return lastValues.removeValue(forKey: name)!.storage
            }
            return lastValues[name]!.storage
        }
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let pixels = n * h * w
        switch node.op {
        case _ where isActivation(node):
            // Clip's bounds must be constants, as when a Conv takes the activation.
            guard node.inputs.dropFirst().allSatisfy({ $0.isEmpty || constant($0) != nil }),
                  let activation = activation(node, [nil] + node.inputs.dropFirst().map(constant)) else { return nil }
            var t = Tensor(shape: x.shape, storage: writable(first))
            activation.apply(to: &t)
            return (t, true)
        case "BatchNormalization":
            guard node.inputs.count == 5, node.int("training_mode", default: 0) == 0,
                  let scale = constant(node.inputs[1]), let bias = constant(node.inputs[2]),
                  let mean = constant(node.inputs[3]), let variance = constant(node.inputs[4]),
                  scale.count == c, bias.count == c, mean.count == c, variance.count == c else { return nil }
            let (a, o) = try BatchNormalization(scale: scale.storage, bias: bias.storage, mean: mean.storage,
                                                variance: variance.storage, epsilon: node.float("epsilon", default: 1e-5)).folded
            var out = writable(first)
            out.withUnsafeMutableBufferPointer { buf in
                let p = SendablePointer(buf.baseAddress!)
                Parallel.forEachChunk(pixels, minimumChunk: max(1, (1 << 15) / max(1, c))) { range in
                    fm_affine_channels_last(p.base, p.base, c, a, o, range.lowerBound, range.upperBound)
                }
            }
            return (Tensor(shape: x.shape, storage: out), true)
        case "Add", "Mul":
            guard node.inputs.count == 2, operatorUnit(of: node) is ArithmeticOperator else { return nil }
            let other = node.inputs[1]
            if let y = lastValues[other], y.shape == x.shape {
                let add = node.op == "Add"
                var out = other == first ? x.storage : writable(first)
                y.storage.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { a in
                        let ap = SendablePointer(a.baseAddress!), bp = SendableConstPointer(b.baseAddress!)
                        Parallel.forEachChunk(a.count, minimumChunk: 1 << 15) { r in
                            if add { for j in r { ap.base[j] = ap.base[j] + bp.base[j] } } else { for j in r { ap.base[j] = ap.base[j] * bp.base[j] } }
                        }
                    }
                }
                return (Tensor(shape: x.shape, storage: out), true)
            }
            // x · s with s [N, C, 1, 1] (or [1, C, 1, 1]): squeeze-and-excitation's rescaling.
            // (A channels-last [N, 1, 1, C] holds the same values in the same order.)
            let scaleValue = values[other] ?? constant(other) ?? lastValues[other].map { ChannelsLast.back($0) }
            guard node.op == "Mul", let s = scaleValue, s.rank == 4, s.shape[1] == c, s.shape[2] == 1,
                  s.shape[3] == 1, s.shape[0] == n || s.shape[0] == 1 else { return nil }
            var out = writable(first)
            out.withUnsafeMutableBufferPointer { buf in
                s.storage.withUnsafeBufferPointer { sb in
                    let p = SendablePointer(buf.baseAddress!), sp = SendableConstPointer(sb.baseAddress!)
                    for image in 0..<n {
                        let scale = SendableConstPointer(sp.base + (s.shape[0] == 1 ? 0 : image * c))
                        let base = SendablePointer(p.base + image * h * w * c)
                        Parallel.forEachChunk(h * w, minimumChunk: max(1, (1 << 15) / max(1, c))) { r in
                            fm_scale_channels_last(base.base, base.base, c, scale.base, r.lowerBound, r.upperBound)
                        }
                    }
                }
            }
            return (Tensor(shape: x.shape, storage: out), true)
        case "MaxPool", "AveragePool":
            guard node.inputs.count == 1, let unit = operatorUnit(of: node) as? WindowPoolingOperator,
                  let pool = try? node.pooling(kind: unit.kind, height: h, width: w),
                  let out = try? pool.outputSize(height: h, width: w), c > 0 else { return nil }
            return (pooled(x, pool, out), true)
        case "GlobalAveragePool":
            guard node.inputs.count == 1, h * w > 0 else { return nil }
            var result = [Float](repeating: 0, count: n * c)
            x.storage.withUnsafeBufferPointer { src in
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
            return (concatenated(parts), true)
        default:
            return nil
        }
    }

    /// `pool` on channels-last `x`, output rows split over the workers.
    private func pooled(_ x: Tensor, _ pool: Pooling, _ out: Pair) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        func axis(_ o: Int, _ s: Int, _ before: Int, _ k: Int, _ d: Int, _ size: Int, _ after: Int) -> fm_window_axis {
            // Pooling's window: its first in-image tap, its in-image taps, its taps within the padded extent.
            let start = o * s - before
            var first = start, taps = 0, padded = 0
            while first < 0 { first += d }
            for t in 0..<k {
                let p = start + t * d
                if p < size + after { padded += 1 }
                if p >= 0 && p < size { taps += 1 }
            }
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

    /// Channels-last tensors of one size joined along their channels.
    private func concatenated(_ parts: [Tensor]) -> Tensor {
        let (n, h, w) = (parts[0].shape[0], parts[0].shape[1], parts[0].shape[2])
        let total = parts.reduce(0) { $0 + $1.shape[3] }
        var result = LargeBuffer.uninitialized(n * h * w * total)
        result.withUnsafeMutableBufferPointer { dst in
            let d = SendablePointer(dst.baseAddress!)
            var offset = 0
            for part in parts {
                let c = part.shape[3], at = offset
                part.storage.withUnsafeBufferPointer { src in
                    let s = SendableConstPointer(src.baseAddress!)
                    Parallel.forEachChunk(n * h * w, minimumChunk: max(1, (1 << 14) / max(1, c))) { range in
                        for p in range { (d.base + p * total + at).update(from: s.base + p * c, count: c) }
                    }
                }
                offset += c
            }
        }
        return Tensor(shape: [n, h, w, total], storage: result)
    }
}
