import Foundation
import Testing
@testable import FeatMapKit

/// Receptive fields, parameter and MAC counts of `Graph.analysed`, against arithmetic done by hand
/// with the recurrences of Araujo, Norris and Sim (Distill 2019): r_l = r_{l−1} + (k_l − 1)·S_{l−1},
/// S_l = S_{l−1}·s_l, P_l = P_{l−1} + p_l·S_{l−1}, starting from r = 1, S = 1, P = 0 at the input.
@Suite struct AnalysisTests {
    static func field(_ a: ModelAnalysis, _ i: Int) -> ReceptiveField? { a.layers[i].field.field }

    /// LeNet-5 (Fixtures/models/lenet5-mnist.onnx, the shared model the sample was converted from):
    /// conv 5×5 pad 2, ReLU, max pool 2/2, conv 5×5, ReLU, max pool 2/2, then Reshape and three Gemms.
    @Test func lenetFieldsParametersAndMACs() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let a = try model.graph.analysed(channels: 1, height: 28, width: 28)
        let spatial = a.layers.filter { ["Conv", "MaxPool"].contains($0.op) }
        #expect(spatial.map(\.op) == ["Conv", "MaxPool", "Conv", "MaxPool"])
        // conv1: r = 1 + 4·1 = 5, S = 1, P = 0 + 2·1 = 2
        // pool1: r = 5 + 1·1 = 6, S = 2, P = 2 + 0 = 2
        // conv2: r = 6 + 4·2 = 14, S = 2, P = 2
        // pool2: r = 14 + 1·2 = 16, S = 4, P = 2
        #expect(spatial.map { $0.field.field?.size } == [Pair(5, 5), Pair(6, 6), Pair(14, 14), Pair(16, 16)])
        #expect(spatial.map { $0.field.field?.jump } == [Pair(1, 1), Pair(2, 2), Pair(2, 2), Pair(4, 4)])
        #expect(spatial.map { $0.field.field?.padding } == [Pair(2, 2), Pair(2, 2), Pair(2, 2), Pair(2, 2)])
        // A ReLU keeps the field of what it follows.
        let relu1 = try #require(a.layers.first { $0.op == "Relu" })
        #expect(relu1.field == spatial[0].field)
        #expect(spatial.map(\.outputShape) == [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5]])
        // conv1: 6·(1·5·5) + 6 = 156 parameters, 6·28·28·25 = 117,600 MACs
        // conv2: 16·(6·5·5) + 16 = 2,416 parameters, 16·10·10·150 = 240,000 MACs
        #expect(spatial.map(\.parameters) == [156, 0, 2416, 0])
        #expect(spatial.map(\.multiplyAccumulates) == [117_600, 0, 240_000, 0])
        // Gemms: 400→120, 120→84, 84→10: weights+biases 48,120 + 10,164 + 850; MACs 48,000 + 10,080 + 840.
        let gemms = a.layers.filter { $0.op == "Gemm" }
        #expect(gemms.map(\.parameters) == [48_120, 10_164, 850])
        #expect(gemms.map(\.multiplyAccumulates) == [48_000, 10_080, 840])
        #expect(gemms.allSatisfy { $0.field == .notSpatial })
        #expect(a.totalParameters == 156 + 2416 + 48_120 + 10_164 + 850)
        #expect(a.totalMultiplyAccumulates == 117_600 + 240_000 + 48_000 + 10_080 + 840)
        // Weight sharing for conv1 (input 1×28×28, output 6×28×28):
        // locally connected 28·28·6·(25 + 1) = 122,304; fully connected 784·4704 + 4704 = 3,692,640.
        #expect(spatial[0].weightSharing == WeightSharing(kernel: Pair(5, 5), inputShape: [1, 28, 28], outputShape: [6, 28, 28], groups: 1, hasBias: true))
        #expect(spatial[0].weightSharing?.locallyConnected == 122_304)
        #expect(spatial[0].weightSharing?.fullyConnected == 3_692_640)
    }

    /// SqueezeNet 1.1's first layers (Fixtures/models/squeezenet-fire3.onnx) on 224×224×3.
    @Test func squeezenetFirstLayersByHand() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("squeezenet-fire3.onnx"))
        let a = try model.graph.analysed(channels: 3, height: 224, width: 224)
        func layer(_ op: String, _ n: Int) throws -> LayerSummary { try #require(a.layers.filter { $0.op == op }.dropFirst(n).first) }
        let conv1 = try layer("Conv", 0), pool1 = try layer("MaxPool", 0)
        let squeeze2 = try layer("Conv", 1), expand1 = try layer("Conv", 2), expand3 = try layer("Conv", 3)
        let concat2 = try layer("Concat", 0), expand3of3 = try layer("Conv", 6), concat3 = try layer("Concat", 1)
        // conv1 3×3 stride 2, no padding: out ⌊(224 − 3)/2⌋ + 1 = 111; r = 3, S = 2, P = 0.
        #expect(conv1.outputShape == [64, 111, 111])
        #expect(conv1.field.field == ReceptiveField(size: Pair(3, 3), jump: Pair(2, 2), padding: Pair(0, 0)))
        // 64·3·3·3 + 64 = 1,792 parameters; 64·111·111·27 = 21,290,688 MACs.
        #expect(conv1.parameters == 1792)
        #expect(conv1.multiplyAccumulates == 21_290_688)
        // Locally connected: 111·111·64·(27 + 1) = 22,079,232; fully connected: 150,528·788,544 + 788,544 = 118,698,739,776.
        #expect(conv1.weightSharing?.locallyConnected == 22_079_232)
        #expect(conv1.weightSharing?.fullyConnected == 118_698_739_776)
        // pool1 3×3 stride 2: out ⌊(111 − 3)/2⌋ + 1 = 55; r = 3 + 2·2 = 7, S = 4, P = 0.
        #expect(pool1.outputShape == [64, 55, 55])
        #expect(pool1.field.field == ReceptiveField(size: Pair(7, 7), jump: Pair(4, 4), padding: Pair(0, 0)))
        // squeeze 1×1, 64 → 16: 16·64 + 16 = 1,040 parameters, 16·55·55·64 = 3,097,600 MACs; the field stays 7.
        #expect(squeeze2.parameters == 1040)
        #expect(squeeze2.multiplyAccumulates == 3_097_600)
        #expect(squeeze2.field.field?.size == Pair(7, 7))
        #expect(expand1.field.field?.size == Pair(7, 7))
        // expand 3×3 pad 1: r = 7 + 2·4 = 15, P = 0 + 1·4 = 4; 64·16·9 + 64 = 9,280 params, 64·55·55·144 = 27,878,400 MACs.
        #expect(expand3.field.field == ReceptiveField(size: Pair(15, 15), jump: Pair(4, 4), padding: Pair(4, 4)))
        #expect(expand3.parameters == 9280)
        #expect(expand3.multiplyAccumulates == 27_878_400)
        // The concat joins fields 7 (P 0) and 15 (P 4): centres (r − 1)/2 − P = 3 and 3 agree, so the
        // branches are aligned and the layer's field is the larger one.
        #expect(concat2.field.field == ReceptiveField(size: Pair(15, 15), jump: Pair(4, 4), padding: Pair(4, 4)))
        #expect(concat2.outputShape == [128, 55, 55])
        // fire3's expand 3×3: r = 15 + 2·4 = 23, P = 4 + 4 = 8; its concat likewise.
        #expect(expand3of3.field.field == ReceptiveField(size: Pair(23, 23), jump: Pair(4, 4), padding: Pair(8, 8)))
        #expect(concat3.field.field?.size == Pair(23, 23))
        // Per channel, the concat keeps each branch's own field: channels 0–63 come from expand 1×1 (7, P 0),
        // 64–127 from expand 3×3 (15, P 4).
        let g = model.graph
        #expect(a.field(ofChannel: 3, atNode: concat2.index, in: g)?.field == ReceptiveField(size: Pair(7, 7), jump: Pair(4, 4), padding: Pair(0, 0)))
        #expect(a.field(ofChannel: 64, atNode: concat2.index, in: g)?.field == expand3.field.field)
        #expect(a.field(ofChannel: 5, atNode: conv1.index, in: g) == conv1.field)
    }

    /// A 3×3 kernel as a one-filter convolution on 224×224×3 with same padding: 3·3·3 + 1 = 28 parameters;
    /// locally connected 224·224·1·(27 + 1) = 1,404,928; fully connected 150,528·50,176 + 50,176 = 7,552,943,104.
    @Test func classicKernelWeightSharing() throws {
        let filter = try KernelLibrary.resolve("3x3: 0 -1 0 -1 5 -1 0 -1 0")
        let graph = try Graph.singleConvolution(kernel: filter.kernels[0], channels: 3)
        let a = try graph.analysed(channels: 3, height: 224, width: 224)
        let s = try #require(a.layers.first?.weightSharing)
        #expect(a.layers[0].outputShape == [1, 224, 224])
        #expect(s.convolution == 28)
        #expect(s.locallyConnected == 1_404_928)
        #expect(s.fullyConnected == 7_552_943_104)
        #expect(a.layers[0].field.field == ReceptiveField(size: Pair(3, 3), jump: .one, padding: .one))
    }

    /// Two branches of the same size whose fields have different centres: a 2×2 convolution padded
    /// one cell at the top and left (r = 2, P = 1, centre (2 − 1)/2 − 1 = −½) and a 1×1 one (centre 0).
    @Test func misalignedBranchesAreSaidToBe() throws {
        let w2 = Tensor(shape: [1, 1, 2, 2], repeating: 1), w1 = Tensor(shape: [1, 1, 1, 1], repeating: 1)
        let nodes = [
            GraphNode(op: "Conv", name: "a", inputs: ["x", "w2"], outputs: ["a"], attributes: ["pads": .ints([1, 1, 0, 0])]),
            GraphNode(op: "Conv", name: "b", inputs: ["x", "w1"], outputs: ["b"]),
            GraphNode(op: "Add", name: "sum", inputs: ["a", "b"], outputs: ["sum"]),
            GraphNode(op: "Conv", name: "after", inputs: ["sum", "w1"], outputs: ["after"]),
        ]
        let g = try Graph(nodes: nodes, weights: ["w2": w2, "w1": w1], inputName: "x", inputShape: [1, 1, 8, 8],
                          outputs: ["after"], opset: 13, file: "test")
        let a = try g.analysed(channels: 1, height: 8, width: 8)
        #expect(a.layers.map(\.field) == [.spatial(ReceptiveField(size: Pair(2, 2), jump: .one, padding: .one)),
                                           .spatial(.input), .notAligned, .notAligned])
    }

    /// Dilation widens the kernel to d(k − 1) + 1: a 3×3 kernel with dilation 2 spans 5.
    @Test func dilationAndUnitSpans() {
        let f = ReceptiveField.input.through(kernel: Pair(3, 3), stride: Pair(2, 1), dilation: Pair(2, 2), before: Pair(2, 1))
        #expect(f == ReceptiveField(size: Pair(5, 5), jump: Pair(2, 1), padding: Pair(2, 1)))
        // Unit (3, 4): rows 3·2 − 2 = 4 … 8, columns 4·1 − 1 = 3 … 7.
        let span = f.span(ofUnit: 3, 4)
        #expect(span.rows == 4...8)
        #expect(span.columns == 3...7)
    }
}
