import Foundation
@testable import FeatMapKit
import Testing

/// The computations the commands hand to the library: top classes, padding pixels of a field, the
/// `layers --json` object.
@Suite struct CommandLogicTests {
    /// Logits [1, 2, 3]: softmax by hand is e^-2, e^-1, 1 over their sum 1.503214724.
    @Test func topClassesOfLogitsAreTheirSoftmax() throws {
        let scores = try #require(ClassScores(Tensor(shape: [1, 3], storage: [1, 2, 3])))
        let expected: [Float] = [0.135335283 / 1.503214724, 0.367879441 / 1.503214724, 1 / 1.503214724]
        for (p, e) in zip(scores.probabilities, expected) { #expect(abs(p - e) < 1e-6) }
        let top = scores.top(2)
        #expect(top.map(\.0) == [2, 1])
        #expect(abs(top[0].1 - 0.66524096) < 1e-6 && abs(top[1].1 - 0.24472847) < 1e-6)
    }

    /// An output that already is a distribution is kept as it is; equal probabilities go in index order.
    @Test func aDistributionIsKeptAndTiesGoInIndexOrder() throws {
        let scores = try #require(ClassScores(Tensor(shape: [1, 4, 1, 1], storage: [0.25, 0.5, 0, 0.25])))
        #expect(scores.probabilities == [0.25, 0.5, 0, 0.25])
        #expect(scores.top(4).map(\.0) == [1, 0, 3, 2])
        #expect(scores.top(9).count == 4)
    }

    @Test func outputsThatAreNotClassScoresGiveNone() {
        #expect(ClassScores(Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])) == nil)
        #expect(ClassScores(Tensor(shape: [1, 1], storage: [1])) == nil)
    }

    /// A 7×7 field from row -2 and column 0 over a 5×5 image: 5×5 = 25 of its 49 pixels inside, 24 in the
    /// padding; wholly inside, none; wholly outside, all.
    @Test func paddingPixelsCountWhatLiesOutsideTheImage() {
        #expect(ReceptiveFieldDrawing.paddingPixels((rows: -2...4, columns: 0...6), height: 5, width: 5) == 24)
        #expect(ReceptiveFieldDrawing.paddingPixels((rows: 1...3, columns: 1...3), height: 5, width: 5) == 0)
        #expect(ReceptiveFieldDrawing.paddingPixels((rows: 6...7, columns: 0...1), height: 5, width: 5) == 4)
    }

    /// `layers --json`: keys sorted, statistics that are not finite null, the sample count and the drawn
    /// sample only for several samples, figures rounded as documented.
    @Test func layersJSONIsOneSortedObjectWithNullForNonFinite() throws {
        var report = LayerRunReport(input: "in/a.png", outputDir: "out", rows: [
            LayerRow(index: 0, name: "conv", op: "Conv", shape: [3, 2, 2], parameters: 84, min: -.infinity, mean: .nan, max: 0.5,
                     milliseconds: 1.23456, file: "01-conv.png"),
        ])
        report.top = [.init(index: 7, name: "seven", probability: 0.12345678)]
        report.forwardMilliseconds = 2.0004
        report.passes = 3
        var json = try report.json()
        #expect(json == #"{"forward_ms":2,"forward_passes":3,"input":"in/a.png","layers":[{"file":"01-conv.png","max":0.5,"mean":null,"min":null,"ms":1.235,"name":"conv","op":"Conv","output_shape":[3,2,2],"params":84}],"output_dir":"out","top":[{"class":"seven","index":7,"probability":0.123457}]}"#)
        report.samples = 4
        report.sample = 2
        report.forwardMilliseconds = nil
        report.passes = nil
        report.top = []
        report.stopped = "node 2 failed"
        json = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 4 && object["sample"] as? Int == 2)
        #expect(object["stopped"] as? String == "node 2 failed")
        #expect(object["top"] == nil && object["forward_ms"] == nil)
        #expect((object["layers"] as? [[String: Any]])?.first?["ms"] == nil)
    }
}
