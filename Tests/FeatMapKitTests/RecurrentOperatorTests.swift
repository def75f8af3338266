import Foundation
import Testing
@testable import FeatMapKit

/// LSTM against onnxruntime (and onnx's reference implementation for layout 1, which onnxruntime does
/// not take): Y, Y_h and Y_c complete (fixtures: Tests/scripts/lstm_fixtures.py).
@Suite struct RecurrentOperatorTests {
    static let cases = ["forward", "bidirectional_lens", "zero_length", "reverse_peephole_clip", "activations", "layout1"]

    static func url(_ name: String) -> URL { Bundle.module.url(forResource: "Fixtures/lstm/\(name)", withExtension: nil)! }

    @Test(arguments: cases)
    func lstmMatchesTheReference(_ name: String) throws {
        let model = try Model.load(contentsOf: Self.url("\(name).onnx"))
        let ref = try SafeTensors(Data(contentsOf: Self.url("\(name).safetensors")), file: "\(name).safetensors")
        let result = model.graph.forward(try #require(ref.tensors["X"]))
        #expect(result.stoppedBy == nil, "\(result.stoppedBy.map { "\($0)" } ?? "")")
        for output in ["Y", "Y_h", "Y_c"] {
            let expected = try #require(ref.tensors[output]), got = try #require(result.graphOutputs[output], "\(name): no \(output)")
            #expect(got.shape == expected.shape, "\(name) \(output)")
            let worst = zip(got.storage, expected.storage).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(name) \(output): off by \(worst)")
        }
    }

    /// Past a sequence's length Y is zero, and the reverse direction starts at the sequence's own last step:
    /// with sequence_lens [5, 3, 1], batch 2's Y is zero from step 1 on in both directions, and its
    /// backward Y_h is the state after its only step, Y[0] of the reverse direction.
    @Test func sequenceLengthsCutEachSequence() throws {
        let model = try Model.load(contentsOf: Self.url("bidirectional_lens.onnx"))
        let ref = try SafeTensors(Data(contentsOf: Self.url("bidirectional_lens.safetensors")), file: "bidirectional_lens.safetensors")
        let result = model.graph.forward(try #require(ref.tensors["X"]))
        let y = try #require(result.graphOutputs["Y"]), yh = try #require(result.graphOutputs["Y_h"])
        let (dirs, batch, hidden) = (2, 3, 4)
        func at(_ t: Int, _ d: Int, _ b: Int) -> ArraySlice<Float> {
            let i = ((t * dirs + d) * batch + b) * hidden
            return y.storage[i..<i + hidden]
        }
        for t in 1..<5 { for d in 0..<2 { #expect(at(t, d, 2).allSatisfy { $0 == 0 }) } }
        #expect(at(0, 1, 2).allSatisfy { $0 != 0 })
        let backward = yh.storage[((1 * batch) + 2) * hidden..<((1 * batch) + 2) * hidden + hidden]
        #expect(Array(backward) == Array(at(0, 1, 2)))
    }

    @Test func badAttributesSayWhatWouldWork() throws {
        let model = try Model.load(contentsOf: Self.url("forward.onnx"))
        var g = model.graph
        g.nodes[0].attributes["direction"] = .string("sideways")
        let ref = try SafeTensors(Data(contentsOf: Self.url("forward.safetensors")), file: "forward.safetensors")
        let x = try #require(ref.tensors["X"])
        let stopped = "\(g.forward(x).stoppedBy.map { "\($0)" } ?? "")"
        #expect(stopped.contains("forward, reverse or bidirectional"), "\(stopped)")
        g = model.graph
        g.nodes[0].attributes["activations"] = .strings(["Sigmoid", "Tanh"])
        let two = "\(g.forward(x).stoppedBy.map { "\($0)" } ?? "")"
        #expect(two.contains("needs 3 for each"), "\(two)")
    }
}
