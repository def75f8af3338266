import Foundation

/// Separable resizing with Pillow's antialiased bilinear filter (`Image.resize(…, BILINEAR)`):
/// each output pixel is a triangle-weighted mean of the input pixels under it, the triangle
/// widened by the scale factor when shrinking, so downscaling averages like an area filter and
/// enlarging interpolates linearly. Coefficients follow Pillow's `precompute_coeffs`.
enum Resampling {
    struct Coefficients { var start: [Int]; var weights: [[Float]] }

    static func coefficients(input: Int, output: Int, from lo: Double = 0, to hi: Double? = nil) -> Coefficients {
        let hi = hi ?? Double(input)
        let scale = (hi - lo) / Double(output)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        var starts: [Int] = [], all: [[Float]] = []
        for xx in 0..<output {
            let center = lo + (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), input) - xmin
            var w: [Double] = []
            for x in 0..<max(xmax, 0) {
                let t = abs((Double(x + xmin) - center + 0.5) / filterScale)
                w.append(t < 1 ? 1 - t : 0)
            }
            let total = w.reduce(0, +)
            starts.append(xmin)
            all.append(w.map { Float(total > 0 ? $0 / total : 0) })
        }
        return Coefficients(start: starts, weights: all)
    }

    /// [C, H, W] planes resized to height × width; optionally only the box [x0, x1) × [y0, y1) of the input.
    static func resized(_ planes: Tensor, width: Int, height: Int, box: (x0: Double, y0: Double, x1: Double, y1: Double)? = nil) -> Tensor {
        guard let (_, h, w) = planes.planeShape else { return planes }
        let cx = coefficients(input: w, output: width, from: box?.x0 ?? 0, to: box?.x1 ?? Double(w))
        let cy = coefficients(input: h, output: height, from: box?.y0 ?? 0, to: box?.y1 ?? Double(h))
        return resized(planes, rows: cy, columns: cx)
    }

    /// [C, H, W] planes mapped through separable coefficient tables: output row y is the sum of
    /// `rows.weights[y][j]` times input row `rows.start[y] + j`, and likewise along each row with
    /// `columns`. Preprocessing (Pillow's filter) and the Resize operator share it.
    static func resized(_ planes: Tensor, rows cy: Coefficients, columns cx: Coefficients) -> Tensor {
        guard let (c, h, w) = planes.planeShape else { return planes }
        let width = cx.start.count, height = cy.start.count
        // Horizontal pass into [C, H, width], then vertical into [C, height, width].
        var mid = [Float](repeating: 0, count: c * h * width)
        var out = [Float](repeating: 0, count: c * height * width)
        planes.storage.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { m in
                for row in 0..<(c * h) {
                    let s = src.baseAddress! + row * w, d = m.baseAddress! + row * width
                    for x in 0..<width {
                        var acc: Float = 0
                        let k = cx.weights[x], x0 = cx.start[x]
                        for j in 0..<k.count { acc += k[j] * s[x0 + j] }
                        d[x] = acc
                    }
                }
            }
        }
        mid.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for ch in 0..<c {
                    let plane = m.baseAddress! + ch * h * width
                    for y in 0..<height {
                        let k = cy.weights[y], y0 = cy.start[y]
                        let d = o.baseAddress! + (ch * height + y) * width
                        for j in 0..<k.count {
                            let wv = k[j], s = plane + (y0 + j) * width
                            for x in 0..<width { d[x] += wv * s[x] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [c, height, width], storage: out)
    }

    /// The transpose of `resized(_:rows:columns:)`: the gradient of the resized planes spread back onto
    /// the input's h × w cells with the same weights (for the backward pass of Resize).
    static func spreadBack(_ gradient: [Float], channels c: Int, height h: Int, width w: Int,
                           rows cy: Coefficients, columns cx: Coefficients) -> [Float] {
        let width = cx.start.count, height = cy.start.count
        var mid = [Float](repeating: 0, count: c * h * width)
        var out = [Float](repeating: 0, count: c * h * w)
        gradient.withUnsafeBufferPointer { g in
            mid.withUnsafeMutableBufferPointer { m in
                for ch in 0..<c {
                    for y in 0..<height {
                        let k = cy.weights[y], y0 = cy.start[y]
                        let src = g.baseAddress! + (ch * height + y) * width
                        for j in 0..<k.count {
                            let wv = k[j], d = m.baseAddress! + (ch * h + y0 + j) * width
                            for x in 0..<width { d[x] += wv * src[x] }
                        }
                    }
                }
            }
        }
        mid.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for row in 0..<(c * h) {
                    let s = m.baseAddress! + row * width, d = o.baseAddress! + row * w
                    for x in 0..<width {
                        let k = cx.weights[x], x0 = cx.start[x]
                        for j in 0..<k.count { d[x0 + j] += k[j] * s[x] }
                    }
                }
            }
        }
        return out
    }
}
