/// The transposed convolution: ConvTranspose's forward pass, and the gradient of a convolution with
/// respect to its input. Each input value is spread out by the stride (s − 1 zeros between values),
/// placed d(k − 1) − p cells in, and the result correlated with the kernels rotated by 180° and with
/// input and output channels swapped within each group — on the same convolution core as Conv.
extension Convolution {
    /// `x` of shape [O, inSize.y, inSize.x] through kernels `weights` [O, C/groups, kh, kw] in Conv's
    /// layout (O the side the stride divides, C the side it multiplies): out[c, i·s + t·d − lead] +=
    /// w[o, c, t]·x[o, i] for every tap t, giving [C, output.y, output.x] (C = groups·weights.shape[1]).
    /// `output` may be larger than the cells any input reaches (ONNX output_padding, output_shape):
    /// those hold the bias alone.
    static func transposed(_ x: [Float], channels o: Int, size inSize: Pair, weights w: Tensor, bias: [Float]? = nil,
                           groups: Int, stride: Pair, dilation: Pair, lead: Pair, output: Pair) throws -> Tensor {
        guard w.rank == 4, groups >= 1, o == w.shape[0], o % groups == 0 else {
            throw EngineError.shapeMismatch("transposed convolution of \(o) channels with kernels \(w.shape) in \(groups) group(s)")
        }
        guard x.count == o * inSize.y * inSize.x else {
            throw EngineError.shapeMismatch("transposed convolution of \(x.count) values as \(o)×\(inSize.y)×\(inSize.x)")
        }
        let (cinG, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let c = cinG * groups, coutG = o / groups
        guard output.y >= 1, output.x >= 1 else {
            throw EngineError.shapeMismatch("a transposed convolution output of \(output.y)×\(output.x)")
        }
        let uh = output.y + dilation.y * (kh - 1), uw = output.x + dilation.x * (kw - 1)
        let leadY = dilation.y * (kh - 1) - lead.y, leadX = dilation.x * (kw - 1) - lead.x
        var spread = [Float](repeating: 0, count: o * uh * uw)
        x.withUnsafeBufferPointer { g in
            spread.withUnsafeMutableBufferPointer { sp in
                for oc in 0..<o { for oy in 0..<inSize.y {
                    let uy = leadY + oy * stride.y
                    guard uy >= 0, uy < uh else { continue }
                    for ox in 0..<inSize.x {
                        let ux = leadX + ox * stride.x
                        guard ux >= 0, ux < uw else { continue }
                        sp[(oc * uh + uy) * uw + ux] = g[(oc * inSize.y + oy) * inSize.x + ox]
                    }
                } }
            }
        }
        var turned = [Float](repeating: 0, count: c * coutG * kh * kw)
        for gi in 0..<groups { for ci in 0..<cinG { for oi in 0..<coutG {
            let src = ((gi * coutG + oi) * cinG + ci) * kh * kw
            let dst = ((gi * cinG + ci) * coutG + oi) * kh * kw
            for k in 0..<(kh * kw) { turned[dst + k] = w.storage[src + kh * kw - 1 - k] }
        } } }
        let core = Convolution(weights: Tensor(shape: [c, coutG, kh, kw], storage: turned), bias: bias, groups: groups,
                               dilation: dilation)
        return try core.applied(to: Tensor(shape: [o, uh, uw], storage: spread))
    }
}
