import Foundation
import Testing

/// `featmap info` run as a user would, on the committed samples (samples/lenet.weights and
/// samples/squeezenet-first.weights, converted by `featmap convert` from the shared ONNX models).
@Suite struct InfoCommandTests {
    static func layers(_ r: CLIResult) throws -> [[String: Any]] {
        let object = try ModelCommandTests.json(r.stdoutText)
        return try #require(object["layers"] as? [[String: Any]])
    }
    static func ints(_ v: Any?) -> [Int]? { (v as? [NSNumber])?.map(\.intValue) }

    @Test func lenetJSONHasHandWorkedFields() throws {
        let r = try CLI.run(["info", ModelCommandTests.sample("lenet.weights"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let layers = try Self.layers(r)
        let spatial = layers.filter { ["Conv", "MaxPool"].contains($0["op"] as? String) }
        // conv1 5×5 pad 2: r 5, S 1, P 2; pool 2/2: r 6, S 2; conv 5×5: r 6 + 4·2 = 14; pool 2/2: r 14 + 2 = 16, S 4.
        #expect(spatial.map { Self.ints($0["receptive_field"]) } == [[5, 5], [6, 6], [14, 14], [16, 16]])
        #expect(spatial.map { Self.ints($0["effective_stride"]) } == [[1, 1], [2, 2], [2, 2], [4, 4]])
        #expect(spatial.map { Self.ints($0["effective_padding"]) } == [[2, 2], [2, 2], [2, 2], [2, 2]])
        // 6·25 + 6 = 156 and 16·150 + 16 = 2,416 parameters; 6·28·28·25 and 16·10·10·150 MACs.
        #expect(spatial.map { ($0["params"] as? NSNumber)?.intValue } == [156, 0, 2416, 0])
        #expect(spatial.map { ($0["macs"] as? NSNumber)?.intValue } == [117_600, 0, 240_000, 0])
        #expect(spatial.map { Self.ints($0["output_shape"]) } == [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5]])
        // conv1: locally connected 28·28·6·26, fully connected 784·4704 + 4704.
        #expect((spatial[0]["params_locally_connected"] as? NSNumber)?.intValue == 122_304)
        #expect((spatial[0]["params_fully_connected"] as? NSNumber)?.intValue == 3_692_640)
        #expect(spatial[1]["params_locally_connected"] == nil)
        // After the Reshape there is no field.
        #expect(layers.first { $0["op"] as? String == "Gemm" }?["receptive_field"] is NSNull)
        let object = try ModelCommandTests.json(r.stdoutText)
        #expect((object["total_params"] as? NSNumber)?.intValue == 61_706)
    }

    @Test func lenetTableShowsTheColumnsAndTotals() throws {
        let r = try CLI.run(["info", ModelCommandTests.sample("lenet.weights")])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.contains { $0 == ["pool2", "MaxPool", "2×2", "2", "0", "1", "16×5×5", "0", "0", "16", "4", "2"] })
        #expect(lines.contains { $0 == ["conv1", "Conv", "5×5", "1", "2", "1", "1", "6×28×28", "156", "117,600", "5", "1", "2"] })
        #expect(lines.contains { $0.first == "total" && $0.contains("61,706") })
        #expect(lines.contains { $0.first == "conv1" && $0.contains("122,304") && $0.contains("3,692,640") })
    }

    /// SqueezeNet's Fire concat joins fields 7 (1×1 branch) and 15 (3×3 branch, padding 1·4 = 4): the centres
    /// (r − 1)/2 − P agree (3 and 3), so the concat is aligned with the larger field.
    @Test func squeezenetConcatIsAligned() throws {
        let r = try CLI.run(["info", ModelCommandTests.sample("squeezenet-first.weights"), "--json", "--input", "224x224"])
        #expect(r.status == 0, "\(r.stderr)")
        let byName = Dictionary(uniqueKeysWithValues: try Self.layers(r).map { ($0["name"] as! String, $0) })
        #expect(Self.ints(byName["conv1_1"]?["receptive_field"]) == [3, 3])
        #expect(Self.ints(byName["pool1_1"]?["receptive_field"]) == [7, 7])
        #expect(Self.ints(byName["fire2/concat_1"]?["receptive_field"]) == [15, 15])
        #expect(Self.ints(byName["fire2/concat_1"]?["effective_padding"]) == [4, 4])
        #expect(Self.ints(byName["fire3/concat_1"]?["receptive_field"]) == [23, 23])
        // conv1: 64·27 + 64 parameters, 64·111·111·27 MACs.
        #expect((byName["conv1_1"]?["params"] as? NSNumber)?.intValue == 1792)
        #expect((byName["conv1_1"]?["macs"] as? NSNumber)?.intValue == 21_290_688)
    }

    /// 3×3·3 + 1 = 28; 224·224·(27 + 1) = 1,404,928; 150,528·50,176 + 50,176 = 7,552,943,104.
    @Test func kernelComparison() throws {
        let r = try CLI.run(["info", "--kernel", "3x3: 0 -1 0 -1 5 -1 0 -1 0", "--input", "224x224", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let layer = try #require(try Self.layers(r).first)
        #expect((layer["params"] as? NSNumber)?.intValue == 28)
        #expect((layer["params_locally_connected"] as? NSNumber)?.intValue == 1_404_928)
        #expect((layer["params_fully_connected"] as? NSNumber)?.intValue == 7_552_943_104)
        let sobel = try CLI.run(["info", "--kernel", "sobel", "--input", "224x224"])
        #expect(sobel.status == 0, "\(sobel.stderr)")
        #expect(sobel.stdoutText.contains("1,404,928") && sobel.stdoutText.contains("≈1.4M") && sobel.stdoutText.contains("7,552,943,104"))
    }

    @Test func errorsAreOneLineWithTheRightStatus() throws {
        let none = try CLI.run(["info"])
        #expect(none.status == 64)
        let bad = try CLI.run(["info", ModelCommandTests.sample("lenet.weights"), "--input", "28xq"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--input"))
        let missing = try CLI.run(["info", "/nonexistent/model.weights"])
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let unknown = try CLI.run(["info", "--kernel", "sobbel"])
        #expect(unknown.status == 64)
    }
}
