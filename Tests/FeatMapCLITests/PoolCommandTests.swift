import FeatMapKit
import Foundation
import Testing

/// `featmap pool` against references made by Tests/scripts/viz_fixtures.py: Fixtures/viz/coffee-crop.png
/// is a 42×38 crop of scikit-image's coffee.png (CC0); each .npy is the pooled crop computed by a NumPy loop
/// from the definition and checked against onnxruntime's MaxPool/AveragePool; shift.json holds the fraction
/// of 2×2 max-pooled values that a 1-pixel shift (edge repeated) leaves unchanged, computed in NumPy.
@Suite struct PoolCommandTests {
    static func npy(_ url: URL) throws -> Tensor { try NPY.decode([UInt8](try Data(contentsOf: url)), source: url.path) }

    @Test(arguments: [
        ("max-k3-s2-p1-ceil", ["--op", "max", "--size", "3", "--stride", "2", "--padding", "1", "--ceil"]),
        ("avg-k3-s2-p1-ceil", ["--op", "avg", "--size", "3", "--stride", "2", "--padding", "1", "--ceil"]),
        ("avg-k2-s3-p1-ceil", ["--op", "avg", "--size", "2", "--stride", "3", "--padding", "1", "--ceil"]),
        ("max-k2-s2", ["--size", "2"]),
    ])
    func npyEqualsNumPyReference(name: String, flags: [String]) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("\(name).png")
        let r = try CLI.run(["pool", CLI.fixture("viz/coffee-crop.png").path, "-o", out.path, "--npy"] + flags)
        #expect(r.status == 0, "\(r.stderr)")
        let got = try Self.npy(dir.appendingPathComponent("\(name).npy"))
        let want = try Self.npy(CLI.fixture("viz/\(name).npy"))
        #expect(got.shape == want.shape)
        let worst = zip(got.storage, want.storage).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "largest difference \(worst)")
        #expect(FileManager.default.fileExists(atPath: out.path))
    }

    @Test(arguments: ["1,0", "0,1"])
    func shiftFractionMatchesNumPy(shift: String) throws {
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixture("viz/shift.json"))) as? [String: [String: Any]])
        let want = try #require(expected[shift])
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["pool", CLI.fixture("viz/coffee-crop.png").path, "--size", "2", "--shift", shift, "-o", dir.appendingPathComponent("s.png").path])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdoutText.split(separator: "\n").first { $0.hasPrefix("shift") })
        let unchanged = (want["unchanged"] as! NSNumber).intValue, total = (want["total"] as! NSNumber).intValue
        #expect(line.contains("(\(unchanged) of \(total))"))
        #expect(line.contains(String(format: "%.4f", (want["fraction"] as! NSNumber).doubleValue)))
    }

    /// The picture: one row per colour channel (three here, six with --shift); its size follows the layout
    /// (scale min(32, 360 / 42) = 8 px per input cell), the first window's outline and first output cell sit
    /// where they must.
    @Test func pictureHasRowsWindowsAndOutput() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("p.png")
        let r = try CLI.run(["pool", CLI.fixture("viz/coffee-crop.png").path, "--size", "2", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let png = try ImageDecoder.decode(path: out.path)
        let crop = try ImageDecoder.decode(path: CLI.fixture("viz/coffee-crop.png").path)
        let planes = crop.colorPlanes
        let rows = (0..<3).map { c in
            PoolingPicture.Row(label: ["red", "green", "blue"][c], input: Array(planes.storage[(c * 38 * 42)..<((c + 1) * 38 * 42)]),
                               output: [Float](repeating: 0, count: 19 * 21))
        }
        let pooling = Pooling(kind: .max, kernel: Pair(2, 2))
        let layout = try PoolingPicture.draw(rows: rows, height: 38, width: 42, pooling: pooling, title: "max pooling 2×2, stride 2, padding 0",
                                             caption: "left: input with each window outlined, red = the cell that wins its window; right: pooled output, each cell where its window starts").layout
        #expect(png.width == layout.width && png.height == layout.height)
        #expect(layout.scale == 8)
        let canvas = Canvas(png)
        let w0 = layout.windows[0][0], w1 = layout.windows[0][1]
        // The window outline, on the top edge of a cell of the window that did not win (the winner is framed red).
        let wins = try pooling.winners(plane: planes.storage[0..<(38 * 42)], height: 38, width: 42, skippingTies: true)
        let free0 = wins[0] == 0 ? 1 : 0, free1 = wins[1] == 2 ? 1 : 0
        #expect(canvas[w0.x + free0 * 8 + 4, w0.y] == PoolingPicture.windowColors.0)
        #expect(canvas[w1.x + free1 * 8 + 4, w1.y] == PoolingPicture.windowColors.1)
        if let win = wins[0] {
            #expect(canvas[w0.x + (win % 42) * 8 + 4, w0.y + (win / 42) * 8] == PoolingPicture.winnerColor)
        }
        // Output (0, 0) is the max of the top-left 2×2 red cells, drawn grey on the red row's range.
        let reds = [planes.storage[0], planes.storage[1], planes.storage[42], planes.storage[43]]
        let range = try #require(ValueRange.finiteExtent(of: Array(planes.storage[0..<(38 * 42)])))
        let t = (reds.max()! - range.low) / (range.high - range.low)
        let cell = layout.outputCells[0][0]
        #expect(canvas[cell.x + 8, cell.y + 8] == Colormap.grey.rgb(at: t))
    }

    @Test func errorsLeaveNoFiles() throws {
        let dir = try CLI.temporaryDirectory()
        let usage = try CLI.run(["pool", CLI.fixture("viz/coffee-crop.png").path, "--size", "2", "--padding", "2"], in: dir)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--padding"))
        let missing = try CLI.run(["pool", "nothing-here.png", "--npy"], in: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let notImage = dir.appendingPathComponent("bad.png")
        try Data("not a png".utf8).write(to: notImage)
        let bad = try CLI.run(["pool", notImage.path, "-o", "out.png", "--npy"], in: dir)
        #expect(bad.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bad.png"])
    }
}
