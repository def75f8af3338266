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

    /// `--shift` repeats the edge pixels (the help text and ShiftComparison say so). On signed data that is
    /// negative along the borders, repeating the edge and shifting in zeros leave different numbers of
    /// pooled values unchanged; the counts come from NumPy (Fixtures/viz/shift-signed.json, made by
    /// Tests/scripts/viz_fixtures.py), and featmap must print the edge-repeated one.
    @Test func shiftRepeatsTheEdgeOnSignedData() throws {
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixture("viz/shift-signed.json"))) as? [String: [String: Any]])
        #expect(cases.count == 12)
        let dir = try CLI.temporaryDirectory()
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let (size, stride, padding) = ((c["size"] as! NSNumber).intValue, (c["stride"] as! NSNumber).intValue, (c["padding"] as! NSNumber).intValue)
            let shift = c["shift"] as! String
            let r = try CLI.run(["pool", CLI.fixture("viz/shift-signed.npy").path, "--size", "\(size)", "--stride", "\(stride)",
                                 "--padding", "\(padding)", "--shift=\(shift)", "-o", dir.appendingPathComponent("s.png").path])
            #expect(r.status == 0, "\(r.stderr)")
            let line = try #require(r.stdoutText.split(separator: "\n").first { $0.hasPrefix("shift") })
            let unchanged = (c["unchanged"] as! NSNumber).intValue, total = (c["total"] as! NSNumber).intValue
            let zeroFilled = (c["unchangedIfZeroFilled"] as! NSNumber).intValue
            #expect(unchanged != zeroFilled)
            #expect(line.contains("(\(unchanged) of \(total))"), "\(name): \(line); a zero fill would give \(zeroFilled)")
            #expect(line.contains(String(format: "%.4f", (c["fraction"] as! NSNumber).doubleValue)), "\(name): \(line)")
        }
    }

    /// The picture: one row per colour channel (three here, six with --shift); its size follows the layout
    /// (scale min(32, 360 / 42) = 8 px per input cell). Geometry against NumPy (Fixtures/viz/coffee-crop-winners.json,
    /// made by Tests/scripts/picture_geometry_fixtures.py): every 2×2 window outlined from its first cell (2·oy, 2·ox),
    /// and a red frame on exactly the cells np.argmax picks as each window's winner in every colour row (none in the
    /// constant windows). Wiring only: the first output cell's grey is featmap's own colormap.
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
        let s = layout.scale
        let numpy = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixture("viz/coffee-crop-winners.json"))) as? [String: Any])
        let numpyPlanes = try #require(numpy["planes"] as? [[String: Any]])
        for c in 0..<3 {
            let o = layout.inputOrigins[c]
            let winners = (numpyPlanes[c]["winners"] as! [Any]).map { ($0 as? NSNumber)?.intValue }
            let starts = (numpyPlanes[c]["starts"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) }
            #expect(winners.count == 19 * 21 && (c > 0 || winners.contains(nil)))
            for (i, (y0, x0)) in starts.enumerated() {
                #expect(layout.windows[c][i] == PixelRect(x: o.x + x0 * s, y: o.y + y0 * s, width: 2 * s, height: 2 * s))
                // The window outline, on the top edge of a cell of the window that did not win.
                let free = winners[i] == y0 * 42 + x0 ? 1 : 0
                let outline = canvas[o.x + (x0 + free) * s + 4, o.y + y0 * s]
                #expect(outline == ((y0 / 2 + x0 / 2) % 2 == 0 ? PoolingPicture.windowColors.0 : PoolingPicture.windowColors.1), "window \(i)")
            }
            let framed = Set(winners.compactMap { $0 })
            for cell in 0..<(38 * 42) {
                let top = canvas[o.x + (cell % 42) * s + s / 2, o.y + (cell / 42) * s]
                #expect((top == PoolingPicture.winnerColor) == framed.contains(cell), "channel \(c) cell (\(cell / 42), \(cell % 42))")
            }
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
