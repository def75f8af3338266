import Foundation
import Testing
@testable import FeatMapKit

/// Effective receptive fields: gradients of one unit with respect to the input (`Graph.inputGradient`).
@Suite struct EffectiveRFTests {
    static func conv(_ name: String, _ input: String, weights: String, pads: [Int] = [0, 0, 0, 0], strides: [Int] = [1, 1],
                     dilations: [Int] = [1, 1], group: Int = 1) -> GraphNode {
        GraphNode(op: "Conv", name: name, inputs: [input, weights], outputs: [name],
                  attributes: ["pads": .ints(pads), "strides": .ints(strides), "dilations": .ints(dilations), "group": .int(group)])
    }

    /// Two 3×3 all-ones convolutions without bias on a 9×9 input: the centre unit of the 5×5 output is
    /// reached from input pixel (y, x) by as many paths as there are middle cells m with |m − y| ≤ 1 in
    /// both axes — per axis the counts 1 2 3 2 1 over rows 2…6 (1-D: how many 3-windows of the first
    /// layer inside the second layer's window contain the pixel), so the 2-D count is their product.
    @Test func allOnesStackCountsPaths() throws {
        let ones = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        let g = try Graph(nodes: [Self.conv("c1", "x", weights: "w"), Self.conv("c2", "c1", weights: "w")],
                          weights: ["w": ones], inputName: "x", inputShape: [1, 1, 9, 9], outputs: ["c2"], opset: 13, file: "test")
        let input = Tensor(shape: [1, 9, 9], storage: (0..<81).map { Float($0 % 7) })
        let grad = try g.inputGradient(of: MapUnit(channel: 0, y: 2, x: 2), atNode: 1, input: input)
        let counts: [Float] = [0, 0, 1, 2, 3, 2, 1, 0, 0]
        for y in 0..<9 { for x in 0..<9 { #expect(grad.storage[y * 9 + x] == counts[y] * counts[x], "pixel \(y),\(x)") } }
    }

    /// An all-ones 3×3 convolution with stride 2 and padding 1, then 2×2 average pooling, on 8×8.
    /// Pooled unit (0, 0) averages conv units 0 and 1 on each axis (weight ½ each); conv unit 0 sees input
    /// −1…1 (−1 is padding) and unit 1 sees 1…3. Per axis: pixel 0 ½, pixel 1 ½ + ½ = 1, pixels 2, 3 ½;
    /// 2-D: the product, e.g. (1, 1) → 1, (0, 0) → ¼.
    @Test func strideAveragePoolAndPadding() throws {
        let ones = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        let pool = GraphNode(op: "AveragePool", name: "p", inputs: ["c"], outputs: ["p"],
                             attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        let g = try Graph(nodes: [Self.conv("c", "x", weights: "w", pads: [1, 1, 1, 1], strides: [2, 2]), pool],
                          weights: ["w": ones], inputName: "x", inputShape: [1, 1, 8, 8], outputs: ["p"], opset: 13, file: "test")
        let grad = try g.inputGradient(of: MapUnit(channel: 0, y: 0, x: 0), atNode: 1, input: Tensor(shape: [1, 8, 8], repeating: 1))
        let axis: [Float] = [0.5, 1, 0.5, 0.5, 0, 0, 0, 0]
        for y in 0..<8 { for x in 0..<8 { #expect(grad.storage[y * 8 + x] == axis[y] * axis[x], "pixel \(y),\(x)") } }
    }

    /// For a network without bias or nonlinearity, unit = Σ grad·input, so grad[i] is the unit's value on
    /// the i-th basis image. That checks the transposed correlation, with the forward pass (itself tested
    /// against onnxruntime) as the reference, over groups, dilation, stride and asymmetric padding.
    @Test func linearGradientEqualsResponseToBasisImages() throws {
        var seed: UInt32 = 7
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let w1 = Tensor(shape: [4, 1, 3, 3], storage: (0..<36).map { _ in next() })
        let w2 = Tensor(shape: [2, 4, 2, 3], storage: (0..<48).map { _ in next() })
        let nodes = [Self.conv("a", "x", weights: "w1", pads: [1, 0, 2, 1], strides: [1, 2], dilations: [2, 1], group: 2),
                     Self.conv("b", "a", weights: "w2", pads: [0, 1, 1, 0], strides: [2, 1])]
        let g = try Graph(nodes: nodes, weights: ["w1": w1, "w2": w2], inputName: "x", inputShape: [1, 2, 9, 10],
                          outputs: ["b"], opset: 13, file: "test")
        let unit = MapUnit(channel: 1, y: 2, x: 2)
        let grad = try g.inputGradient(of: unit, atNode: 1, input: Tensor(shape: [2, 9, 10], repeating: 0))
        for i in 0..<(2 * 9 * 10) {
            var basis = Tensor(shape: [2, 9, 10], repeating: 0)
            basis.storage[i] = 1
            let out = try #require(g.forward(basis, keep: { $0 == 1 }).layers.first?.featureMaps)
            let (_, h, w) = try #require(out.planeShape)
            let expected = out.storage[(unit.channel * h + unit.y) * w + unit.x]
            #expect(abs(grad.storage[i] - expected) < 1e-5, "input cell \(i)")
        }
    }

    /// Split sends each part's gradient back to the stretch it was cut from, whichever outputs are read:
    /// a channel Split into 1 + 3 whose two parts are added again (broadcast over channels), a Split of
    /// H into 3 + 5 rows whose parts a Concat swaps. The net is linear, so grad[i] is the unit's value on
    /// the i-th basis image (the forward pass, checked against onnxruntime, is the reference).
    @Test func splitPartsSendTheirGradientsBack() throws {
        var seed: UInt32 = 5
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        func t(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in next() }) }
        let nodes = [
            Self.conv("a", "x", weights: "w1", pads: [1, 1, 1, 1]),
            GraphNode(op: "Split", name: "byChannel", inputs: ["a", "channels"], outputs: ["s0", "s1"], attributes: ["axis": .int(1)]),
            GraphNode(op: "Split", name: "byRow", inputs: ["s1", "rows"], outputs: ["t0", "t1"], attributes: ["axis": .int(2)]),
            GraphNode(op: "Concat", name: "swapped", inputs: ["t1", "t0"], outputs: ["c"], attributes: ["axis": .int(2)]),
            GraphNode(op: "Add", name: "sum", inputs: ["c", "s0"], outputs: ["d"]),
            Self.conv("b", "d", weights: "w2"),
        ]
        let weights = ["w1": t([4, 2, 3, 3]), "w2": t([2, 3, 2, 2]),
                       "channels": Tensor(shape: [2], storage: [1, 3]), "rows": Tensor(shape: [2], storage: [3, 5])]
        let g = try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: [1, 2, 8, 9], outputs: ["b"], opset: 13, file: "test")
        for unit in [MapUnit(channel: 1, y: 2, x: 3), MapUnit(channel: 0, y: 6, x: 0)] {
            let grad = try g.inputGradient(of: unit, atNode: 5, input: Tensor(shape: [2, 8, 9], repeating: 0))
            #expect(grad.storage.contains { $0 != 0 })
            for i in 0..<(2 * 8 * 9) {
                var basis = Tensor(shape: [2, 8, 9], repeating: 0)
                basis.storage[i] = 1
                let out = try #require(g.forward(basis, keep: { $0 == 5 }).layers.first?.featureMaps)
                let (_, h, w) = try #require(out.planeShape)
                let expected = out.storage[(unit.channel * h + unit.y) * w + unit.x]
                #expect(abs(grad.storage[i] - expected) < 1e-5, "unit \(unit), input cell \(i)")
            }
        }
    }

    /// Products and quotients that broadcast, and a product of two activations (a squeeze-and-excitation
    /// scale): y = b(a·GAP(a)/k − a) with a and b convolutions is quadratic in the input, so the central
    /// difference (unit(x + e_i) − unit(x − e_i)) / 2 is its exact derivative (only rounding differs).
    @Test func broadcastProductsMatchCentralDifferences() throws {
        var seed: UInt32 = 3
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        func t(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in next() }) }
        let nodes = [
            Self.conv("a", "x", weights: "w1", pads: [1, 1, 1, 1]),
            GraphNode(op: "GlobalAveragePool", name: "gap", inputs: ["a"], outputs: ["p"]),
            GraphNode(op: "Mul", name: "scaled", inputs: ["p", "a"], outputs: ["m"]),
            GraphNode(op: "Div", name: "quotient", inputs: ["m", "k"], outputs: ["q"]),
            GraphNode(op: "Sub", name: "difference", inputs: ["q", "a"], outputs: ["r"]),
            Self.conv("b", "r", weights: "w2"),
        ]
        let weights = ["w1": t([3, 2, 3, 3]), "w2": t([2, 3, 2, 2]), "k": Tensor(shape: [3, 1, 1], storage: [0.5, 2, -4])]
        let g = try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: [1, 2, 6, 7], outputs: ["b"], opset: 13, file: "test")
        let x = t([2, 6, 7])
        let unit = MapUnit(channel: 1, y: 2, x: 3)
        func value(_ input: Tensor) throws -> Float {
            let out = try #require(g.forward(input, keep: { $0 == 5 }).layers.first?.featureMaps)
            let (_, h, w) = try #require(out.planeShape)
            return out.storage[(unit.channel * h + unit.y) * w + unit.x]
        }
        let grad = try g.inputGradient(of: unit, atNode: 5, input: x)
        let scale = grad.storage.map(abs).max() ?? 0
        #expect(scale > 0.1)
        for i in 0..<x.count {
            var up = x, down = x
            up.storage[i] += 1
            down.storage[i] -= 1
            let expected = (try value(up) - value(down)) / 2
            #expect(abs(grad.storage[i] - expected) <= 1e-4 * max(scale, 1), "input cell \(i): \(grad.storage[i]) vs \(expected)")
        }
    }

    /// A channel shuffle as ShuffleNet v2's between two convolutions, with three channel axes so that the
    /// permutation is not its own inverse: Reshape [1, 8, H, W] → [1, 2, 2, 2, H, W], Transpose rotating
    /// the three channel axes, Reshape back. It keeps every value's map position, so the
    /// field goes on through it (3×3 after 3×3: 5×5, jump 1, padding 0 by hand, as without the shuffle),
    /// and the network stays linear, so the gradient is again each basis image's response (the forward
    /// pass is the reference), which checks the Transpose's inverse permutation.
    @Test func channelShuffleKeepsTheFieldAndTheGradient() throws {
        var seed: UInt32 = 5
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let w1 = Tensor(shape: [8, 1, 3, 3], storage: (0..<72).map { _ in next() })
        let w2 = Tensor(shape: [2, 8, 3, 3], storage: (0..<144).map { _ in next() })
        let nodes = [Self.conv("a", "x", weights: "w1"),
                     GraphNode(op: "Reshape", name: "split", inputs: ["a", "s6"], outputs: ["split"]),
                     GraphNode(op: "Transpose", name: "swap", inputs: ["split"], outputs: ["swap"], attributes: ["perm": .ints([0, 2, 3, 1, 4, 5])]),
                     GraphNode(op: "Reshape", name: "merge", inputs: ["swap", "s4"], outputs: ["merge"]),
                     Self.conv("b", "merge", weights: "w2")]
        let g = try Graph(nodes: nodes, weights: ["w1": w1, "w2": w2, "s6": Tensor(shape: [6], storage: [1, 2, 2, 2, 5, 6]),
                                                  "s4": Tensor(shape: [4], storage: [1, 8, 5, 6])],
                          inputName: "x", inputShape: [1, 1, 7, 8], outputs: ["b"], opset: 13, file: "test")
        let analysis = try g.analysed(channels: 1, height: 7, width: 8)
        #expect(analysis.layer(atNode: 4)?.field.field == ReceptiveField(size: Pair(5, 5), jump: Pair(1, 1), padding: Pair(0, 0)))
        #expect(analysis.layer(atNode: 3)?.field.field == ReceptiveField(size: Pair(3, 3), jump: Pair(1, 1), padding: Pair(0, 0)))
        let unit = MapUnit(channel: 1, y: 1, x: 2)
        let grad = try g.inputGradient(of: unit, atNode: 4, input: Tensor(shape: [1, 7, 8], repeating: 0))
        for i in 0..<(7 * 8) {
            var basis = Tensor(shape: [1, 7, 8], repeating: 0)
            basis.storage[i] = 1
            let out = try #require(g.forward(basis, keep: { $0 == 4 }).layers.first?.featureMaps)
            let (_, h, w) = try #require(out.planeShape)
            #expect(abs(grad.storage[i] - out.storage[(unit.channel * h + unit.y) * w + unit.x]) < 1e-5, "input cell \(i)")
        }
    }

    /// Gradients that arrive at a Split's second part, and a Slice whose end comes from a shape subgraph
    /// folded at preparation (Shape → Gather → Div, as the legacy exporter writes ShuffleNet's chunk):
    /// Conv a (4 channels) → Split [2, 2] → Conv b on the second part; Slice of a's first half by
    /// channels (its end a's channel count ÷ 2); Concat(b, first part, slice). Linear, so each unit's
    /// gradient is its response to each basis image, for a unit of every branch.
    @Test func splitPartsAndFoldedSliceBoundsCarryGradients() throws {
        var seed: UInt32 = 9
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let w1 = Tensor(shape: [4, 1, 3, 3], storage: (0..<36).map { _ in next() })
        let w2 = Tensor(shape: [2, 2, 3, 3], storage: (0..<36).map { _ in next() })
        func v(_ x: [Float]) -> Tensor { Tensor(shape: [x.count], storage: x) }
        let nodes = [Self.conv("a", "x", weights: "w1", pads: [1, 1, 1, 1]),
                     GraphNode(op: "Split", name: "split", inputs: ["a", "sizes"], outputs: ["p0", "p1"], attributes: ["axis": .int(1)]),
                     Self.conv("b", "p1", weights: "w2", pads: [1, 1, 1, 1]),
                     GraphNode(op: "Shape", name: "shape", inputs: ["a"], outputs: ["shape"]),
                     GraphNode(op: "Gather", name: "channels", inputs: ["shape", "one"], outputs: ["channels"]),
                     GraphNode(op: "Div", name: "half", inputs: ["channels", "two"], outputs: ["half"]),
                     GraphNode(op: "Slice", name: "lo", inputs: ["a", "zero", "half", "one"], outputs: ["lo"]),
                     GraphNode(op: "Concat", name: "cat", inputs: ["b", "p0", "lo"], outputs: ["cat"], attributes: ["axis": .int(1)])]
        let g = try Graph(nodes: nodes, weights: ["w1": w1, "w2": w2, "sizes": v([2, 2]), "one": v([1]), "two": v([2]), "zero": v([0])],
                          inputName: "x", inputShape: [1, 1, 6, 7], outputs: ["cat"], opset: 13, file: "test")
        let target = try g.nodeIndex(named: "cat")
        for unit in [MapUnit(channel: 1, y: 2, x: 3), MapUnit(channel: 3, y: 0, x: 6), MapUnit(channel: 4, y: 5, x: 1)] {
            let grad = try g.inputGradient(of: unit, atNode: target, input: Tensor(shape: [1, 6, 7], repeating: 0))
            var nonzero = 0
            for i in 0..<(6 * 7) {
                var basis = Tensor(shape: [1, 6, 7], repeating: 0)
                basis.storage[i] = 1
                let out = try #require(g.forward(basis, keep: { $0 == target }).layers.first?.featureMaps)
                #expect(out.shape == [6, 6, 7])
                let expected = out.storage[(unit.channel * 6 + unit.y) * 7 + unit.x]
                #expect(abs(grad.storage[i] - expected) < 1e-5, "unit \(unit), input cell \(i)")
                if expected != 0 { nonzero += 1 }
            }
            #expect(nonzero > 0)
        }
    }

    /// Affine layers (batch normalisation, biases) and joins: unit(x) = Σ grad·x + unit(0), so grad[i] is
    /// unit(e_i) − unit(0). Conv → BatchNorm → Add with a second branch → Concat with the first → padded
    /// ceil-mode average pooling that counts the padding.
    @Test func affineLayersAndJoinsMatchDifferences() throws {
        var seed: UInt32 = 11
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        func t(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in next() }) }
        let weights: [String: Tensor] = ["w1": t([3, 2, 3, 3]), "b1": t([3]), "w2": t([3, 2, 1, 1]),
                                         "scale": t([3]), "shift": t([3]), "mean": t([3]),
                                         "var": Tensor(shape: [3], storage: [0.5, 1, 2])]
        let nodes = [
            Self.conv("a", "x", weights: "w1", pads: [1, 1, 1, 1]),
            GraphNode(op: "BatchNormalization", name: "bn", inputs: ["a", "scale", "shift", "mean", "var"], outputs: ["bn"]),
            GraphNode(op: "Conv", name: "b", inputs: ["x", "w2", "b1"], outputs: ["b"]),
            GraphNode(op: "Add", name: "sum", inputs: ["bn", "b"], outputs: ["sum"]),
            GraphNode(op: "Concat", name: "cat", inputs: ["a", "sum"], outputs: ["cat"], attributes: ["axis": .int(1)]),
            GraphNode(op: "AveragePool", name: "pool", inputs: ["cat"], outputs: ["pool"],
                      attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 0, 0]),
                                   "ceil_mode": .int(1), "count_include_pad": .int(1)]),
        ]
        let g = try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: [1, 2, 6, 7], outputs: ["pool"], opset: 13, file: "test")
        for unit in [MapUnit(channel: 4, y: 1, x: 2), MapUnit(channel: 1, y: 3, x: 0)] {
            let grad = try g.inputGradient(of: unit, atNode: 5, input: Tensor(shape: [2, 6, 7], repeating: 0))
            func value(_ x: Tensor) throws -> Float {
                let out = try #require(g.forward(x, keep: { $0 == 5 }).layers.first?.featureMaps)
                let (_, h, w) = try #require(out.planeShape)
                return out.storage[(unit.channel * h + unit.y) * w + unit.x]
            }
            let base = try value(Tensor(shape: [2, 6, 7], repeating: 0))
            for i in 0..<(2 * 6 * 7) {
                var basis = Tensor(shape: [2, 6, 7], repeating: 0)
                basis.storage[i] = 1
                #expect(abs(grad.storage[i] - (try value(basis) - base)) < 1e-5, "unit \(unit), input cell \(i)")
            }
        }
    }

    /// Max pooling sends the gradient to the winning cell; ReLU stops it where the input was negative.
    @Test func maxPoolRoutesAndReluMasks() throws {
        let pool = GraphNode(op: "MaxPool", name: "p", inputs: ["r"], outputs: ["p"],
                             attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        let relu = GraphNode(op: "Relu", name: "r", inputs: ["x"], outputs: ["r"])
        let g = try Graph(nodes: [relu, pool], weights: [:], inputName: "x", inputShape: [1, 1, 2, 4], outputs: ["p"], opset: 13, file: "test")
        // Window 0: cells 1, 2, 5, 6 → max 6 at (1, 0); window 1: all negative, ReLU makes them 0, max picks
        // the first cell (0, 2), whose ReLU input was negative, so nothing reaches the input.
        let input = Tensor(shape: [1, 2, 4], storage: [1, 2, -1, -2, 6, 5, -3, -4])
        let g0 = try g.inputGradient(of: MapUnit(channel: 0, y: 0, x: 0), atNode: 1, input: input)
        #expect(g0.storage == [0, 0, 0, 0, 1, 0, 0, 0])
        let g1 = try g.inputGradient(of: MapUnit(channel: 0, y: 0, x: 1), atNode: 1, input: input)
        #expect(g1.storage == [Float](repeating: 0, count: 8))
    }

    @Test func unitsOutsideTheMapAreRejected() throws {
        let g = try Graph(nodes: [Self.conv("c", "x", weights: "w")], weights: ["w": Tensor(shape: [1, 1, 3, 3], repeating: 1)],
                          inputName: "x", inputShape: [1, 1, 5, 5], outputs: ["c"], opset: 13, file: "test")
        #expect(throws: ModelError.self) {
            try g.inputGradient(of: MapUnit(channel: 0, y: 3, x: 0), atNode: 0, input: Tensor(shape: [1, 5, 5], repeating: 0))
        }
    }
}

/// Units whose fields do not overlap share a backward pass (`Graph.inputGradients(fields:)`): inside each
/// unit's field the shared gradient equals the unit's own, one pass each (`inputGradient`).
@Suite struct GroupedInputGradientTests {
    @Test func sharedPassesGiveEachUnitItsOwnGradientInsideItsField() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let g = model.graph
        let input = Tensor(shape: [1, 28, 28], storage: (0..<784).map { Float(($0 * 37) % 101) / 50 - 1 })
        let analysis = try g.analysed(channels: 1, height: 28, width: 28)
        let conv2 = try #require(analysis.layers.first { $0.op == "Conv" && $0.name != analysis.layers.first?.name })
        let field = try #require(conv2.field.field)
        // conv2's field is 14 px: unit y sees rows 2y − 2 … 2y + 11. The four corner units (0|9, 0|9) see
        // disjoint fields, (4, 5) and (5, 4) overlap every other: per channel one group of four and two
        // of one, 3 · 16 = 48 backward passes for 96 units.
        var units: [MapUnit] = []
        for ch in 0..<16 { for (y, x) in [(0, 0), (9, 9), (0, 9), (9, 0), (4, 5), (5, 4)] { units.append(MapUnit(channel: (ch * 7) % 16, y: y, x: x)) } }
        let spans = units.map { field.span(ofUnit: $0.y, $0.x) }
        let groups = Graph.disjointGroups(units.count, fields: spans)
        #expect(groups.count == 48 && groups.flatMap { $0 }.sorted() == Array(units.indices))
        let shared = try g.inputGradients(of: units, atNode: conv2.index, input: input, fields: spans)
        for (k, u) in units.enumerated() {
            let own = try g.inputGradient(of: u, atNode: conv2.index, input: input)
            var worst: Float = 0, scale: Float = 0
            for y in max(0, spans[k].rows.lowerBound)...min(27, spans[k].rows.upperBound) {
                for x in max(0, spans[k].columns.lowerBound)...min(27, spans[k].columns.upperBound) {
                    worst = max(worst, abs(shared[k].storage[y * 28 + x] - own.storage[y * 28 + x]))
                    scale = max(scale, abs(own.storage[y * 28 + x]))
                }
            }
            #expect(scale > 0 && worst <= 1e-6 * scale, "unit \(u): \(worst) against \(scale)")
            // Outside its field a unit's own gradient is zero: the premise of sharing.
            for y in 0..<28 { for x in 0..<28 where !spans[k].rows.contains(y) || !spans[k].columns.contains(x) {
                #expect(own.storage[y * 28 + x] == 0)
            } }
        }
    }
}

/// Units of local layers computed on a crop of the input that holds their field give the gradient of the
/// whole input inside the field: LeNet's conv2 and pool2 (padding 2, stride-2 pooling) and SqueezeNet's
/// first layers (stride-2 convolution, ceil-mode pooling, Fire concatenations), units at the borders too.
@Suite struct CroppedInputGradientTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    static func check(_ model: Model, input: Tensor, layers: [String], units: [(Int, Int, Int)]) throws {
        let g = model.graph
        let (c, h, w) = input.planeShape!
        let analysis = try g.analysed(channels: c, height: h, width: w)
        var live = 0
        for name in layers {
            let index = try g.nodeIndex(named: name)
            #expect(g.isLocal(through: index), "\(name)")
            let layer = try #require(analysis.layer(atNode: index))
            let field = try #require(layer.field.field)
            let mapUnits = units.map { MapUnit(channel: $0.0 % layer.outputShape[0], y: min($0.1, layer.outputShape[1] - 1),
                                               x: min($0.2, layer.outputShape[2] - 1)) }
            let spans = mapUnits.map { field.span(ofUnit: $0.y, $0.x) }
            // The crop itself (it throws rather than fall back), and through inputGradients, which uses it.
            let cropped = try mapUnits.indices.map { try g.croppedGradient(of: mapUnits[$0], atNode: index, input: input, field: spans[$0], jump: field.jump) }
            let through = try g.inputGradients(of: mapUnits, atNode: index, input: input, fields: spans, jump: field.jump)
            #expect(zip(cropped, through).allSatisfy { $0.storage == $1.storage })
            for (k, u) in mapUnits.enumerated() {
                let whole = try g.inputGradient(of: u, atNode: index, input: input)
                var worst: Float = 0, scale: Float = 0
                for i in whole.storage.indices {
                    worst = max(worst, abs(cropped[k].storage[i] - whole.storage[i]))
                    scale = max(scale, abs(whole.storage[i]))
                }
                // A unit behind a ReLU at zero has no gradient at all; then the crop's must be zero too.
                #expect(worst <= 1e-5 * scale, "\(name) unit \(u): \(worst) against \(scale)")
                if scale > 0 { live += 1 }
            }
        }
        #expect(live * 2 >= layers.count * units.count, "only \(live) units with a gradient")
    }

    @Test func lenetUnitsFromCrops() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let input = Tensor(shape: [1, 28, 28], storage: (0..<784).map { Float(($0 * 37) % 101) / 50 - 1 })
        try Self.check(model, input: input, layers: ["conv1", "pool1", "conv2", "pool2"].compactMap { n in
            model.graph.layerNames.first { $0.hasPrefix(n) } }, units: [(0, 0, 0), (3, 4, 4), (5, 9, 9), (7, 2, 7), (11, 13, 0)])
    }

    @Test func squeezenetUnitsFromCrops() throws {
        let model = try Model.load(contentsOf: Self.samples.appendingPathComponent("squeezenet-first.weights"))
        let side = 64
        let input = Tensor(shape: [3, side, side], storage: (0..<(3 * side * side)).map { Float(($0 * 7919) % 211) / 100 - 1 })
        let names = model.graph.layerNames
        let layers = ["conv1_1", "pool1_1", "fire2/expand3x3_2", "fire2/concat_1", "fire3/concat_1"].filter(names.contains)
        #expect(layers.count == 5, "\(names)")
        try Self.check(model, input: input, layers: layers, units: [(0, 0, 0), (70, 3, 5), (127, 15, 15), (12, 7, 0), (40, 30, 30)])
    }
}

/// explore's automatic choice: effective fields for one unit per channel when the planned passes fit the
/// budget, else none and a note saying how to ask for them.
@Suite struct ExplorerBudgetTests {
    @Test func overTheBudgetThePageSaysHowToGetThem() throws {
        let model = try Model.load(contentsOf: CroppedInputGradientTests.samples.appendingPathComponent("lenet.weights"))
        let digit = CroppedInputGradientTests.samples.appendingPathComponent("digit.png").path
        let (cheap, _) = try ExplorerPage.collect(model: model, modelPath: "lenet.weights", inputPath: digit,
                                                  decodeOptions: DecodeOptions(), options: ExplorerOptions())
        #expect(cheap.erfUnits == 1 && cheap.layers.filter { !($0.erf ?? []).isEmpty }.count == 6)
        let (tight, _) = try ExplorerPage.collect(model: model, modelPath: "lenet.weights", inputPath: digit,
                                                  decodeOptions: DecodeOptions(), options: ExplorerOptions(erfBudget: 1000))
        #expect(tight.erfUnits == 0 && tight.layers.allSatisfy { ($0.erf ?? []).isEmpty })
        #expect(tight.notes.contains { $0.contains("--erf-units 1") })
    }
}
