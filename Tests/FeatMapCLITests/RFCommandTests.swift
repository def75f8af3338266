import FeatMapKit
import Foundation
import Testing

/// `featmap rf` on the LeNet sample and an MNIST digit (samples/).
@Suite struct RFCommandTests {
    /// pool2 has field 16, effective stride 4, effective padding 2: unit (0, 1) sees rows 0·4 − 2 = −2 … 13
    /// and columns 1·4 − 2 = 2 … 17; rows −2 and −1 are padding, 2 rows × 16 columns = 32 pixels.
    @Test func unitFieldIsPrintedAndDrawn() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("rf.png")
        let r = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             "--layer", "pool2", "--unit", "0,1", "--channel", "3", "--effective", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdoutText.contains("unit c3 (0,1)"))
        #expect(r.stdoutText.contains("rows -2…13, columns 2…17, field 16×16, 32 px in padding"))
        let png = try ImageDecoder.decode(path: out.path)
        // Input 28×28 plus two padding rows above: scale min(16, 600 / 30) = 16; the image starts 2·16 px
        // below the panel top, the box two rows above the image at column 2.
        let canvas = Canvas(png)
        let red = ReceptiveFieldPicture.palette[0]
        let (s, left) = (16, 8)
        // Find the image's grey frame: the top of the panel is below the title, caption and heading.
        let boxLeft = left + 2 * s
        let boxTop = try #require((0..<png.height).first { canvas[boxLeft + 40, $0] == red })
        #expect(canvas[boxLeft, boxTop + 100] == red)
        #expect(canvas[boxLeft + 16 * s - 1, boxTop + 100] == red)
        #expect(canvas[boxLeft + 100, boxTop + 16 * s - 1] == red)
        // Hatched padding inside the box above the image.
        var hatch = Set<RGB>()
        for y in (boxTop + 14)..<(boxTop + 28) { for x in (boxLeft + 40)..<(boxLeft + 140) { hatch.insert(canvas[x, y]) } }
        // The hatch background and the anti-aliased greys of its lines, nothing else.
        let (bg, line) = ReceptiveFieldPicture.hatchColors
        #expect(hatch.contains(bg) && hatch.contains { $0.r <= line.r + 30 })
        #expect(hatch.allSatisfy { $0.r == $0.g && $0.g == $0.b && $0.r >= line.r && $0.r <= bg.r }, "\(hatch)")
    }

    /// --top 3 on one channel names three units, strongest first, with their values in decreasing order.
    @Test func topUnitsOfOneChannel() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             "--layer", "conv2", "--top", "3", "--channel", "5", "-o", dir.appendingPathComponent("t.png").path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains("unit c5 ") && $0.contains("field 14×14") })
        let values = lines.compactMap { line -> Double? in
            guard let eq = line.range(of: "= "), let colon = line.range(of: ":", range: eq.upperBound..<line.endIndex) else { return nil }
            return Double(line[eq.upperBound..<colon.lowerBound])
        }
        #expect(values.count == 3 && values == values.sorted(by: >))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("t.png").path))
    }

    /// `--top 8` on conv2 (channel 5 alone, and all channels): the same units, in the same order, with the
    /// same values as NumPy's 8 largest of conv2's output computed by onnxruntime from the ONNX model the
    /// sample was converted from, on the same digit (Fixtures/rf/top.json, made by
    /// Tests/scripts/rf_top_fixtures.py), and each unit's rows and columns as the Araujo et al. recurrences
    /// give them by hand: field 14, jump 2, start 2·y − 2.
    @Test(arguments: ["5", "all"])
    func topUnitsAreNumPysLargest(channel: String) throws {
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixture("rf/top.json"))) as? [String: [[String: Any]]])
        let want = try #require(fixture[channel])
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             "--layer", "conv2", "--top", "8", "-o", dir.appendingPathComponent("t.png").path]
                            + (channel == "all" ? [] : ["--channel", channel]))
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("#") }.map(String.init)
        #expect(lines.count == want.count)
        for (i, (line, w)) in zip(lines, want).enumerated() {
            let (c, y, x) = ((w["channel"] as! NSNumber).intValue, (w["y"] as! NSNumber).intValue, (w["x"] as! NSNumber).intValue)
            let rows = (w["rows"] as! [NSNumber]).map(\.intValue), columns = (w["columns"] as! [NSNumber]).map(\.intValue)
            #expect(line.hasPrefix("#\(i + 1) conv2 unit c\(c) (\(y),\(x)) = "), "\(line)")
            #expect(line.contains(": rows \(rows[0])…\(rows[1]), columns \(columns[0])…\(columns[1]), field 14×14"), "\(line)")
            let value = (w["value"] as! NSNumber).doubleValue
            let printed = try #require(line.range(of: " = ").flatMap { eq in
                line.range(of: ":", range: eq.upperBound..<line.endIndex).flatMap { Double(line[eq.upperBound..<$0.lowerBound]) }
            })
            // Printed with 4 significant digits.
            #expect(abs(printed - value) <= 1e-3 * abs(value), "\(line): onnxruntime \(value)")
        }
    }

    @Test func errors() throws {
        let dir = try CLI.temporaryDirectory()
        let lenet = ModelCommandTests.sample("lenet.weights"), digit = ModelCommandTests.sample("digit.png")
        let unknown = try CLI.run(["rf", lenet, digit, "--layer", "nope"], in: dir)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no layer named 'nope'"))
        let outside = try CLI.run(["rf", lenet, digit, "--layer", "pool2", "--unit", "5,0"], in: dir)
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("outside"))
        let flat = try CLI.run(["rf", lenet, digit, "--layer", "fc1"], in: dir)
        #expect(flat.status == 1)
        #expect(flat.stderr.contains("no feature maps"))
        let both = try CLI.run(["rf", lenet, digit, "--layer", "pool2", "--unit", "0,0", "--top", "2"], in: dir)
        #expect(both.status == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
