import Foundation

/// The fixed and parametric kernels behind `KernelLibrary`'s built-in names. Derivatives follow
/// OpenCV's orientation: x kernels are d/dx (cv2.Sobel with dx=1, getDerivKernels), negative on
/// the left, positive on the right; y kernels are their transposes (negative on top).
extension Kernel {
    public static let identity = Kernel(name: "identity", rows: [[0, 0, 0], [0, 1, 0], [0, 0, 0]])

    public static let sharpen = Kernel(name: "sharpen", rows: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])

    /// column [1 2 1] ⊗ row [−1 0 1]
    public static let sobelX = Kernel(name: "sobel-x", column: [1, 2, 1], row: [-1, 0, 1])
    public static let sobelY = rename(sobelX.transposed, "sobel-y")
    /// column [3 10 3] ⊗ row [−1 0 1], as cv2.Scharr
    public static let scharrX = Kernel(name: "scharr-x", column: [3, 10, 3], row: [-1, 0, 1])
    public static let scharrY = rename(scharrX.transposed, "scharr-y")
    /// column [1 1 1] ⊗ row [−1 0 1]
    public static let prewittX = Kernel(name: "prewitt-x", column: [1, 1, 1], row: [-1, 0, 1])
    public static let prewittY = rename(prewittX.transposed, "prewitt-y")

    /// 4-neighbour Laplacian, as cv2.Laplacian with ksize=1.
    public static let laplacian = Kernel(name: "laplacian", rows: [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    /// 8-neighbour Laplacian.
    public static let laplacian8 = Kernel(name: "laplacian8", rows: [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    /// −1 all round, 8 in the centre: the negated 8-neighbour Laplacian.
    public static let edge = Kernel(name: "edge", rows: [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    /// The classic emboss (light from the top left); sums to 1 so flat areas keep their grey.
    public static let emboss = Kernel(name: "emboss", rows: [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    /// Every row −1 2 −1: responds to thin vertical lines.
    public static let verticalLine = Kernel(name: "vertical-line", rows: [[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]])

    /// N×N, every value 1/N².
    public static func box(_ n: Int) -> Kernel {
        Kernel(name: "box:\(n)", width: n, height: n, values: [Float](repeating: 1 / Float(n * n), count: n * n))
    }

    /// 2·⌈3σ⌉ + 1, the size that holds 99.7% of a Gaussian's weight: σ = 10 gives 61 taps.
    public static func defaultSize(sigma: Double) -> Int { 2 * Int((3 * sigma).rounded(.up)) + 1 }

    /// The 1-D Gaussian of cv2.getGaussianKernel: g_i = α·exp(−(i − (n−1)/2)² / 2σ²), Σ g = 1.
    public static func gaussian1D(sigma: Double, size: Int) -> [Float] {
        let c = Double(size - 1) / 2
        let g = (0..<size).map { exp(-(Double($0) - c) * (Double($0) - c) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        return g.map { Float($0 / total) }
    }

    /// g ⊗ g with the normalised 1-D Gaussian, as cv2.GaussianBlur(ksize=(n,n), sigmaX=sigmaY=σ).
    public static func gaussian(sigma: Double, size: Int? = nil) -> Kernel {
        let n = size ?? defaultSize(sigma: sigma)
        let g = gaussian1D(sigma: sigma, size: n)
        return Kernel(name: size == nil ? "gaussian:\(format(sigma))" : "gaussian:\(format(sigma)):\(n)",
                      column: g, row: g)
    }

    /// (1 + amount)·δ − amount·G: the image plus `amount` times its detail (image − blur).
    public static func unsharp(amount: Double, sigma: Double) -> Kernel {
        let g = gaussian(sigma: sigma)
        var values = g.values.map { -Float(amount) * $0 }
        values[values.count / 2] += Float(1 + amount)
        return Kernel(name: "unsharp:\(format(amount)):\(format(sigma))", width: g.width, height: g.height, values: values)
    }

    /// Laplacian of Gaussian as MATLAB's fspecial('log'): h = g·(x² + y² − 2σ²)/σ⁴ with g the
    /// normalised Gaussian, then the mean subtracted so that Σ h = 0 exactly (flat areas give 0).
    /// Negative centre, like `laplacian`.
    public static func laplacianOfGaussian(sigma: Double, size: Int? = nil) -> Kernel {
        let n = size ?? defaultSize(sigma: sigma)
        let c = Double(n - 1) / 2, s2 = sigma * sigma
        var g = [Double](), r2 = [Double]()
        for y in 0..<n { for x in 0..<n {
            let d = (Double(y) - c) * (Double(y) - c) + (Double(x) - c) * (Double(x) - c)
            r2.append(d)
            g.append(exp(-d / (2 * s2)))
        } }
        let total = g.reduce(0, +)
        let h = zip(g, r2).map { $0 / total * ($1 - 2 * s2) / (s2 * s2) }
        let mean = h.reduce(0, +) / Double(h.count)
        return Kernel(name: size == nil ? "log:\(format(sigma))" : "log:\(format(sigma)):\(n)",
                      width: n, height: n, values: h.map { Float($0 - mean) })
    }

    static func rename(_ k: Kernel, _ name: String) -> Kernel {
        var k = k
        k.name = name
        return k
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }
}
