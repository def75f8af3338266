import Foundation
import Testing
@testable import FeatMapKit

/// Max pooling takes a branch-free loop for the columns whose window lies inside the image (and
/// spelled-out 3/2, 2/2 and 3/1 windows). It must give what the plain definition gives: the largest
/// value over the window's cells inside the image, for every kernel, stride, padding, dilation and ceil
/// mode; average pooling the mean over them (count_include_pad: over the window's cells inside the
/// padded extent). NaN: a max window is NaN exactly when its first in-image cell (row-major) is NaN,
/// later NaNs lose every comparison; an average window is NaN when any cell is. onnxruntime 1.32 does
/// the same for dilated max windows and for every average window (Fixtures/pooling/cases.json, made by
/// Tests/scripts/pooling_fixtures.py); for undilated max windows its MLAS kernel keys NaN on the last
/// cell instead, which featmap does not follow (see the script), so those are checked against the
/// definition only.
@Suite struct PoolingFastPathTests {
    /// The definition, cell by cell.
    static func reference(_ x: [Float], c: Int, h: Int, w: Int, pool: Pooling) throws -> [Float] {
        let out = try pool.outputSize(height: h, width: w)
        var result: [Float] = []
        for ch in 0..<c { for oy in 0..<out.y { for ox in 0..<out.x {
            var best: Float? = nil
            var sum: Double = 0, taps = 0, padded = 0
            for ky in 0..<pool.kernel.y { for kx in 0..<pool.kernel.x {
                let y = oy * pool.stride.y - pool.padding.top + ky * pool.dilation.y
                let xx = ox * pool.stride.x - pool.padding.left + kx * pool.dilation.x
                if y < h + pool.padding.bottom && xx < w + pool.padding.right { padded += 1 }
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let v = x[(ch * h + y) * w + xx]
                best = best.map { v > $0 ? v : $0 } ?? v
                sum += Double(v)
                taps += 1
            } }
            if pool.kind == .max {
                result.append(best ?? 0)
            } else {
                result.append(taps == 0 ? 0 : Float(sum / Double(pool.countIncludePad ? padded : taps)))
            }
        } } }
        return result
    }

    /// Same NaN positions, and the other values equal (max) or within float rounding (average).
    static func agree(_ a: [Float], _ b: [Float], exact: Bool) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { u, v in
            u.isNaN ? v.isNaN : !v.isNaN && (exact ? u == v : abs(u - v) <= 1e-5 * max(1, abs(v)))
        }
    }

    /// A deterministic pseudo-random input with repeated values (ties) and negatives; with `nan`, about one
    /// value in nine is NaN, scattered (not in whole columns, which would hide how a window orders them).
    static func input(count: Int, nan: Bool) -> [Float] {
        var seed: UInt32 = 12345
        return (0..<count).map { _ -> Float in
            seed = seed &* 1_103_515_245 &+ 12345
            return nan && (seed >> 8) % 9 == 0 ? .nan : Float(Int(seed >> 16) % 200) - 100
        }
    }

    @Test(arguments: [(3, 2), (2, 2), (3, 1), (4, 3), (1, 1), (5, 2)])
    func maxPoolingMatchesTheDefinition(kernel: Int, stride: Int) throws {
        // A deterministic pseudo-random 3×37×41 input with repeated values (ties) and negatives.
        let (c, h, w) = (3, 37, 41)
        let x = Self.input(count: c * h * w, nan: false)
        for padding in [Padding.none, Padding(top: 1, bottom: 1, left: 1, right: 1), Padding(top: 0, bottom: 2, left: 2, right: 0)] {
            for ceil in [false, true] where padding.left < kernel && padding.top < kernel {
                let pool = Pooling(kind: .max, kernel: Pair(both: kernel), stride: Pair(both: stride), padding: padding, ceilMode: ceil)
                let got = try pool.applied(to: Tensor(shape: [c, h, w], storage: x))
                #expect(got.storage == (try Self.reference(x, c: c, h: h, w: w, pool: pool)),
                        "k\(kernel) s\(stride) \(padding) ceil \(ceil)")
            }
        }
    }

    /// Every kind, dilation, padding, ceil mode and count_include_pad, with and without NaN, against the
    /// definition above.
    @Test(arguments: [(3, 2), (2, 2), (3, 1), (2, 1), (1, 1), (4, 3)])
    func dilatedAndNaNPoolingMatchesTheDefinition(kernel: Int, stride: Int) throws {
        let (c, h, w) = (2, 29, 35)
        for nan in [false, true] {
            let x = Self.input(count: c * h * w, nan: nan)
            for dilation in [Pair(1, 1), Pair(2, 2), Pair(1, 3), Pair(3, 1)] {
                for padding in [Padding.none, Padding(top: 1, bottom: 1, left: 1, right: 1), Padding(top: 0, bottom: 2, left: 2, right: 1)]
                where padding.left < kernel && padding.top < kernel && padding.bottom < kernel && padding.right < kernel {
                    for ceil in [false, true] {
                        for (kind, includePad) in [(Pooling.Kind.max, false), (.average, false), (.average, true)] {
                            let pool = Pooling(kind: kind, kernel: Pair(both: kernel), stride: Pair(both: stride), padding: padding,
                                               dilation: dilation, ceilMode: ceil, countIncludePad: includePad)
                            let got = try pool.applied(to: Tensor(shape: [c, h, w], storage: x)).storage
                            let want = try Self.reference(x, c: c, h: h, w: w, pool: pool)
                            #expect(Self.agree(got, want, exact: kind == .max),
                                    "\(kind) k\(kernel) s\(stride) d\(dilation) \(padding) ceil \(ceil) includePad \(includePad) nan \(nan)")
                            if nan { #expect(want.contains { $0.isNaN } && want.contains { !$0.isNaN }) }
                        }
                    }
                }
            }
        }
    }

    struct RuntimeCase: Sendable, CustomStringConvertible {
        var id: String, pooling: Pooling, shape: [Int], input: [Float], outputShape: [Int], output: [Float]
        var description: String { id }
    }

    static let runtimeCases: [RuntimeCase] = {
        let url = Bundle.module.url(forResource: "Fixtures/pooling", withExtension: nil)!.appendingPathComponent("cases.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["cases"] as? [[String: Any]] else { return [] }
        func floats(_ a: Any?) -> [Float] { (a as? [Any] ?? []).map { ($0 as? NSNumber).map { Float($0.doubleValue) } ?? .nan } }
        return list.compactMap { d in
            guard let id = d["id"] as? String, let op = d["op"] as? String, let k = d["kernel"] as? [Int], let s = d["stride"] as? [Int],
                  let dl = d["dilation"] as? [Int], let p = d["pads"] as? [Int], let shape = d["shape"] as? [Int],
                  let outShape = d["outputShape"] as? [Int] else { return nil }
            // ONNX pads: [top, left, bottom, right].
            let pooling = Pooling(kind: op == "max" ? .max : .average, kernel: Pair(k[0], k[1]), stride: Pair(s[0], s[1]),
                                  padding: Padding(top: p[0], bottom: p[2], left: p[1], right: p[3]), dilation: Pair(dl[0], dl[1]),
                                  ceilMode: d["ceil"] as? Bool ?? false, countIncludePad: d["countIncludePad"] as? Bool ?? false)
            return RuntimeCase(id: id, pooling: pooling, shape: shape, input: floats(d["input"]), outputShape: outShape,
                               output: floats(d["output"]))
        }
    }()

    @Test func runtimeFixtureIsComplete() {
        #expect(Self.runtimeCases.count == 14)
        #expect(Self.runtimeCases.contains { $0.id.hasSuffix("-nan") && $0.pooling.kind == .max })
    }

    /// onnxruntime's MaxPool / AveragePool outputs, NaN for NaN.
    @Test(arguments: runtimeCases)
    func matchesOnnxRuntime(_ c: RuntimeCase) throws {
        let got = try c.pooling.applied(to: Tensor(shape: c.shape, storage: c.input))
        #expect(got.shape == c.outputShape)
        #expect(Self.agree(got.storage, c.output, exact: c.pooling.kind == .max), "\(c.id)")
    }
}

/// The winners that the pictures, the effective field and MaxPool's Indices use follow the pooled
/// value's NaN rule: [[1, NaN], [0, 9]] pools to 9 and its winner is the 9 (cell 3); a NaN first cell
/// wins its window, and the pooled value is NaN (both by hand).
@Suite struct PoolingWinnerNaNTests {
    @Test func winnersAgreeWithThePooledValue() throws {
        let pool = Pooling(kind: .max, kernel: Pair(both: 2), stride: Pair(both: 2))
        let later: [Float] = [1, .nan, 0, 9], first: [Float] = [.nan, 1, 0, 9]
        #expect(try pool.applied(to: Tensor(shape: [1, 2, 2], storage: later)).storage == [9])
        #expect(try pool.winners(plane: later[...], height: 2, width: 2) == [3])
        #expect(try pool.applied(to: Tensor(shape: [1, 2, 2], storage: first)).storage[0].isNaN)
        #expect(try pool.winners(plane: first[...], height: 2, width: 2) == [0])
    }
}
