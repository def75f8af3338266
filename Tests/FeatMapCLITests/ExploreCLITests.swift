import FeatMapKit
import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`, installed by .ci/deps): loads a page from disk and prints the
/// DOM after its scripts ran, or takes a screenshot. Every run is bounded by a timeout.
enum Browser {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil }

    static func run(_ arguments: [String], seconds: Double = 60) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        p.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
                       "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000"] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        nonisolated(unsafe) var data = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        DispatchQueue.global().async { _ = err.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate(); usleep(500_000); if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The DOM of `page` opened with `fragment`, after the scripts ran.
    static func dom(_ page: URL, fragment: String) throws -> String {
        let r = try run(["--dump-dom", page.absoluteString + "#" + fragment])
        #expect(r.stdout.contains("</html>"), "chromium printed no DOM for \(page.lastPathComponent)#\(fragment) (status \(r.status))")
        return r.stdout
    }

    /// The text of the element with `id` in a dumped DOM (tags inside it dropped).
    static func text(ofElement id: String, in dom: String) -> String? {
        guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
        guard let open = dom[start.upperBound...].firstIndex(of: ">") else { return nil }
        // Up to the matching close of the element: count nested tags of the same name.
        let tagStart = dom[..<start.lowerBound].lastIndex(of: "<")!
        let tag = dom[dom.index(after: tagStart)...].prefix { $0.isLetter || $0.isNumber }
        var depth = 1, i = dom.index(after: open)
        var text = ""
        while i < dom.endIndex, depth > 0 {
            if dom[i] == "<" {
                let rest = dom[i...]
                if rest.hasPrefix("</\(tag)") { depth -= 1 } else if rest.hasPrefix("<\(tag)") && !rest.hasPrefix("<\(tag)-") { depth += 1 }
                i = dom[i...].firstIndex(of: ">").map { dom.index(after: $0) } ?? dom.endIndex
                continue
            }
            text.append(dom[i])
            i = dom.index(after: i)
        }
        return text.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
    }
}

@Suite struct ExploreCLITests {
    static let lenet = ModelCommandTests.sample("lenet.weights")
    static let squeezenet = ModelCommandTests.sample("squeezenet-first.weights")
    static let digit = ModelCommandTests.sample("digit.png")
    static let cat = ModelCommandTests.sample("chelsea.png")

    /// Writes the page of `model` on `input` into a fresh folder.
    static func page(_ model: String, _ input: String, extra: [String] = []) throws -> URL {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("page.html")
        let r = try CLI.run(["explore", model, input, "-o", out.path] + extra)
        #expect(r.status == 0, "explore failed: \(r.stderr)")
        return out
    }

    /// torchvision's ResNet-18 at reduced width (hash weights), from the library tests' fixtures: skips that join.
    static let resnet = ModelCommandTests.repository.appendingPathComponent("Tests/FeatMapKitTests/Fixtures/torchvision/resnet18-legacy.onnx").path
    static let resnetPageOnce: URL? = try? page(resnet, cat, extra: ["--max-values", "400000"])
    static var resnetPage: URL { get throws { try #require(resnetPageOnce, "explore did not write ResNet-18's page") } }
    static let lenetPageOnce: URL? = try? page(lenet, digit)
    static let squeezenetPageOnce: URL? = try? page(squeezenet, cat)
    static var lenetPage: URL { get throws { try #require(lenetPageOnce, "explore did not write LeNet's page") } }
    static var squeezenetPage: URL { get throws { try #require(squeezenetPageOnce, "explore did not write SqueezeNet's page") } }

    /// The JSON inside `<script type="application/json" id="ID">` of a page.
    static func embedded(_ id: String, in html: String) throws -> Any {
        let open = "<script type=\"application/json\" id=\"\(id)\">"
        let start = try #require(html.range(of: open))
        let end = try #require(html[start.upperBound...].range(of: "</script>"))
        return try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8))
    }

    /// The `layers` of `featmap info --json` for the same model and input size.
    static func infoLayers(_ arguments: [String]) throws -> NSArray {
        let r = try CLI.run(["info"] + arguments + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        return try #require(object["layers"] as? NSArray)
    }

    /// The page of a model named as in the tests' arguments, with the model's path and its input.
    static func named(_ which: String) throws -> (page: URL, model: String, input: String) {
        switch which {
        case "lenet": return (try lenetPage, lenet, digit)
        case "squeezenet": return (try squeezenetPage, squeezenet, cat)
        default: return (try resnetPage, resnet, cat)
        }
    }

    @Test(arguments: [("lenet", [String]()), ("squeezenet", ["--input", "224x224"]), ("resnet", [])])
    func embeddedSummaryIsInfoJSON(_ which: String, _ info: [String]) throws {
        let (url, modelPath, _) = try Self.named(which)
        let html = try String(contentsOf: url, encoding: .utf8)
        let model = try #require(try Self.embedded("featmap-model", in: html) as? [String: Any])
        let layers = try #require(model["layers"] as? NSArray)
        let expected = try Self.infoLayers([modelPath] + info)
        #expect(layers.count == expected.count && layers.count > 5)
        #expect(layers.isEqual(expected), "the page's layers differ from info --json")
        // Offline: nothing is fetched — no http(s) URL in a src or href, no external script or stylesheet.
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"))
        #expect(!html.contains("<script src"))
    }

    /// rf's "rows A…B, columns C…D" and the unit's value for one unit.
    static func rf(_ model: String, _ input: String, layer: String, channel: Int, y: Int, x: Int) throws -> (readout: String, value: Double) {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["rf", model, input, "--layer", layer, "--channel", String(channel), "--unit", "\(y),\(x)",
                             "-o", dir.appendingPathComponent("rf.png").path])
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
        let readout = try #require(line.range(of: #"rows -?\d+…-?\d+, columns -?\d+…-?\d+"#, options: .regularExpression))
        let value = try #require(line.range(of: #"= -?[0-9.e+-]+:"#, options: .regularExpression))
        return (String(line[readout]), Double(line[value].dropFirst(2).dropLast())!)
    }

    /// 241600 → "241,600".
    static func grouped(_ n: Int) -> String {
        var out = ""
        for (i, ch) in String(n).reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
        return String(out.reversed())
    }

    static func noScriptErrors(_ dom: String) {
        let errors = Browser.text(ofElement: "featmap-errors", in: dom)
        #expect(errors != nil, "the page has no #featmap-errors element")
        #expect(errors?.trimmingCharacters(in: .whitespacesAndNewlines) == "", "script errors: \(errors ?? "")")
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"),
          arguments: [("lenet", "conv2", 3, 4, 5), ("lenet", "pool2", 15, 0, 4),
                      ("squeezenet", "fire2/concat_1", 70, 10, 54), ("squeezenet", "fire3/expand3x3_2", 9, 54, 0),
                      ("resnet", "/layer2/layer2.0/Add", 5, 3, 4)])
    func deepLinkReadoutIsRF(_ which: String, _ layer: String, _ c: Int, _ y: Int, _ x: Int) throws {
        let (url, model, input) = try Self.named(which)
        let name = layer.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "_-."))) ?? layer
        let dom = try Browser.dom(url, fragment: "layer=\(name)&c=\(c)&y=\(y)&x=\(x)")
        Self.noScriptErrors(dom)
        let expected = try Self.rf(model, input, layer: layer, channel: c, y: y, x: x)
        #expect(Browser.text(ofElement: "rf-readout", in: dom) == expected.readout)
        // The value under the unit, decoded from the page's 16-bit maps, agrees with rf's %.4g.
        let unit = try #require(Browser.text(ofElement: "selected-unit", in: dom))
        let shown = try #require(Double(unit.split(separator: "=").last!.trimmingCharacters(in: .whitespaces)))
        #expect(abs(shown - expected.value) <= 1e-3 * max(1, abs(expected.value)), "page \(shown), rf \(expected.value)")
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func clickOnAMapSelectsThatUnit() throws {
        // Unit (0,0) of channel 2 first; then a real click event 37 px right and 21 px down inside its map.
        let before = try Browser.dom(try Self.lenetPage, fragment: "layer=conv1&c=2&y=0&x=0")
        let clicked = try Browser.dom(try Self.lenetPage, fragment: "layer=conv1&c=2&y=0&x=0&test=click:37,21")
        Self.noScriptErrors(clicked)
        #expect(clicked.contains("data-test-click=\"done\""))
        // Every map of a layer is enlarged by the same data-scale CSS pixels per value.
        let attribute = try #require(clicked.range(of: #"data-scale="\d+""#, options: .regularExpression))
        let scale = try #require(Int(clicked[attribute].dropFirst(12).dropLast()))
        #expect(scale >= 1)
        let expected = try Self.rf(Self.lenet, Self.digit, layer: "conv1", channel: 2, y: 21 / scale, x: 37 / scale)
        let origin = try Self.rf(Self.lenet, Self.digit, layer: "conv1", channel: 2, y: 0, x: 0)
        #expect(Browser.text(ofElement: "rf-readout", in: before) == origin.readout)
        #expect(Browser.text(ofElement: "rf-readout", in: clicked) == expected.readout)
        #expect(expected.readout != origin.readout)
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func unknownLayerInTheLinkSaysSo() throws {
        let dom = try Browser.dom(try Self.lenetPage, fragment: "layer=conv9&c=0&y=0&x=0")
        Self.noScriptErrors(dom)
        let message = try #require(Browser.text(ofElement: "link-message", in: dom))
        #expect(message.contains("unknown layer 'conv9'") && message.contains("conv1"), "\(message)")
        #expect(!dom.contains("id=\"link-message\" class=\"message\" hidden"))
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func screenshotIsNotBlank() throws {
        let dir = try CLI.temporaryDirectory()
        let shot = dir.appendingPathComponent("shot.png")
        _ = try Browser.run(["--window-size=1000,800", "--screenshot=\(shot.path)",
                             try Self.squeezenetPage.absoluteString + "#layer=pool1_1&c=2&y=3&x=4"])
        let image = try ImageDecoder.decode([UInt8](Data(contentsOf: shot)), source: "shot.png")
        #expect(image.width == 1000 && image.height == 800)
        // Many distinct colours (the cat, the maps), not one background.
        var colours = Set<Int>()
        let c = image.channels
        for p in stride(from: 0, to: image.pixelCount, by: 7) {
            colours.insert(Int(image.samples[p * c]) << 16 | Int(image.samples[p * c + 1]) << 8 | Int(image.samples[p * c + 2]))
        }
        #expect(colours.count > 500, "\(colours.count) colours")
    }

    @Test func effectiveFieldsAreTheStrongestUnitsInsideTheirBoxes() throws {
        let url = try Self.page(Self.lenet, Self.digit, extra: ["--erf-units", "1", "--erf-layers", "conv2"])
        let html = try String(contentsOf: url, encoding: .utf8)
        let page = try #require(try Self.embedded("featmap-page", in: html) as? [String: Any])
        let layers = try #require(page["layers"] as? [[String: Any]])
        let conv2 = try #require(layers.first { $0["name"] as? String == "conv2" })
        let erf = try #require(conv2["erf"] as? [[String: Any]])
        #expect(erf.count == 16)
        #expect(layers.filter { $0["erf"] != nil }.count == 1)
        for e in erf.prefix(3) {
            let unit = try #require(e["unit"] as? [Int]), box = try #require(e["box"] as? [Int])
            // The strongest unit of its channel, as rf --top 1 --channel C finds it.
            let dir = try CLI.temporaryDirectory()
            let r = try CLI.run(["rf", Self.lenet, Self.digit, "--layer", "conv2", "--top", "1", "--channel", String(unit[0]),
                                 "-o", dir.appendingPathComponent("rf.png").path])
            #expect(r.stdoutText.contains("unit c\(unit[0]) (\(unit[1]),\(unit[2]))"), "\(r.stdoutText)")
            let field = try Self.rf(Self.lenet, Self.digit, layer: "conv2", channel: unit[0], y: unit[1], x: unit[2]).readout
            let n = field.split(whereSeparator: { !$0.isNumber && $0 != "-" }).compactMap { Int($0) }
            // The box is the field clipped to the 28×28 image.
            #expect(box == [max(0, n[0]), max(0, n[2]), min(27, n[1]) - max(0, n[0]) + 1, min(27, n[3]) - max(0, n[2]) + 1])
            let data = try #require(Data(base64Encoded: e["data"] as! String))
            #expect(data.count == box[2] * box[3] && data.max() == 255)
        }
    }

    @Test func kernelPageSummaryIsInfoKernelJSON() throws {
        let url = try Self.page("sobel", Self.digit)
        let html = try String(contentsOf: url, encoding: .utf8)
        let model = try #require(try Self.embedded("featmap-model", in: html) as? [String: Any])
        let expected = try Self.infoLayers(["--kernel", "sobel", "--input", "28x28", "--channels", "1"])
        #expect((model["layers"] as? NSArray)?.isEqual(expected) == true)
        let page = try #require(try Self.embedded("featmap-page", in: html) as? [String: Any])
        #expect(page["kind"] as? String == "kernel")
        let kernel = try #require(page["kernel"] as? [String: Any])
        #expect((kernel["kernels"] as? [[Double]])?.first == [-1, 0, 1, -2, 0, 2, -1, 0, 1])
    }

    @Test func severalInputsWriteOnePageEach() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["explore", Self.lenet, ModelCommandTests.sample("digit-0.png"), ModelCommandTests.sample("digit-1.png"),
                             "--out-dir", dir.path, "-j", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["digit-0-explore.html", "digit-1-explore.html"])
        let a = try String(contentsOf: dir.appendingPathComponent(files[0]), encoding: .utf8)
        let b = try String(contentsOf: dir.appendingPathComponent(files[1]), encoding: .utf8)
        let topA = try #require((try Self.embedded("featmap-page", in: a) as? [String: Any])?["top"] as? [[String: Any]])
        let topB = try #require((try Self.embedded("featmap-page", in: b) as? [String: Any])?["top"] as? [[String: Any]])
        #expect(topA.first?["index"] as? Int == 0 && topB.first?["index"] as? Int == 1)
    }

    @Test func brokenModelOrInputLeavesNoPage() throws {
        let dir = try CLI.temporaryDirectory()
        let broken = dir.appendingPathComponent("broken.onnx")
        try Data([0x08, 0x07, 0x12, 0xff, 0xff, 0x01]).write(to: broken)
        let out = dir.appendingPathComponent("p.html")
        let r1 = try CLI.run(["explore", broken.path, Self.digit, "-o", out.path])
        #expect(r1.status == 1)
        #expect(r1.stderr.split(separator: "\n").count == 1 && r1.stderr.contains("broken.onnx"), "\(r1.stderr)")
        let garbage = dir.appendingPathComponent("digit.png")
        try Data("not a picture".utf8).write(to: garbage)
        let r2 = try CLI.run(["explore", Self.lenet, garbage.path, "-o", out.path])
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("digit.png"), "\(r2.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["broken.onnx", "digit.png"])
    }

    @Test func layersPastTheValueLimitSayWhatWasLeftOut() throws {
        // LeNet's conv1 holds 6×28×28 = 4,704 values; relu1 is computed on the page from them (max(0, v)),
        // so it costs nothing; with room for 5,000, pool1 (1,176 more) and the later layers go without maps.
        let url = try Self.page(Self.lenet, Self.digit, extra: ["--max-values", "5000"])
        let page = try #require(try Self.embedded("featmap-page", in: try String(contentsOf: url, encoding: .utf8)) as? [String: Any])
        let layers = try #require(page["layers"] as? [[String: Any]])
        func layer(_ name: String) throws -> [String: Any] { try #require(layers.first { $0["name"] as? String == name }) }
        #expect(try layer("conv1")["maps"] != nil && layer("pool1")["maps"] == nil)
        let relu = try #require(try layer("relu1")["maps"] as? [String: Any])
        #expect(relu["reluOf"] as? Int == 0 && relu["data"] as? String == "")
        let note = try #require(try layer("pool1")["mapsNote"] as? String)
        #expect(note.contains("--layers pool1") && note.contains("--max-values"), "\(note)")
        #expect(layers.filter { $0["maps"] != nil }.map { $0["name"] as! String } == ["conv1", "relu1"])
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func valueUnderThePointerIsTheUnitsValue() throws {
        // A real mousemove 37 px right and 21 px down inside channel 2's map of conv1.
        let dom = try Browser.dom(try Self.lenetPage, fragment: "layer=conv1&c=2&y=0&x=0&test=move:37,21")
        Self.noScriptErrors(dom)
        let attribute = try #require(dom.range(of: #"data-scale="\d+""#, options: .regularExpression))
        let scale = try #require(Int(dom[attribute].dropFirst(12).dropLast()))
        let (y, x) = (21 / scale, 37 / scale)
        let readout = try #require(Browser.text(ofElement: "value-readout", in: dom))
        #expect(readout.hasPrefix("conv1 c2 (\(y),\(x)) = "), "\(readout)")
        let shown = try #require(Double(readout.split(separator: "=").last!.trimmingCharacters(in: .whitespaces)))
        let expected = try Self.rf(Self.lenet, Self.digit, layer: "conv1", channel: 2, y: y, x: x).value
        #expect(abs(shown - expected) <= 1e-3 * max(1, abs(expected)), "page \(shown), rf \(expected)")
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func hoveringAFilterShowsItsWeights() throws {
        let html = try String(contentsOf: try Self.lenetPage, encoding: .utf8)
        let page = try #require(try Self.embedded("featmap-page", in: html) as? [String: Any])
        let conv2 = try #require((page["layers"] as? [[String: Any]])?.first { $0["name"] as? String == "conv2" })
        let cells = try #require((conv2["filters"] as? [String: Any])?["cells"] as? [[[Int]]])
        let cell = cells[3][4]  // filter 3, input channel 4
        let dom = try Browser.dom(try Self.lenetPage, fragment: "layer=conv2&test=filter:\(cell[0] + cell[2] / 2),\(cell[1] + cell[3] / 2)")
        Self.noScriptErrors(dom)
        let readout = try #require(Browser.text(ofElement: "filter-readout", in: dom))
        #expect(readout.hasPrefix("filter 3, input channel 4:"), "\(readout)")
        let shown = readout.split(separator: "\n").dropFirst().flatMap { $0.split(separator: " ") }.compactMap { Double($0) }
        // The weights as stored in the model file: conv2's [16, 6, 5, 5] tensor, filter 3, channel 4.
        let m = try Model.load(contentsOf: URL(fileURLWithPath: Self.lenet))
        let node = m.graph.nodes[try m.graph.nodeIndex(named: "conv2")]
        let w = try #require(m.graph.weights[node.inputs[1]])
        let stored = (0..<25).map { Double(w.storage[(3 * 6 + 4) * 25 + $0]) }
        #expect(shown.count == 25)
        for (a, b) in zip(shown, stored) { #expect(abs(a - b) <= 1e-3 * max(abs(b), 1e-3), "\(a) against \(b)") }
        // The weight-sharing comparison beside the filters: info --json's three counts for conv2.
        let info = try Self.infoLayers([Self.lenet]).compactMap { $0 as? [String: Any] }.first { $0["name"] as? String == "conv2" }
        let sharing = try #require(Browser.text(ofElement: "weight-sharing", in: dom))
        for key in ["params", "params_locally_connected", "params_fully_connected"] {
            let n = try #require(info?[key] as? Int)
            #expect(sharing.contains(Self.grouped(n)), "\(key) \(n) not in \(sharing)")
        }
        // LeNet reaches its classifier: five classes listed.
        let top = try #require(Browser.text(ofElement: "top5", in: dom))
        #expect(top.components(separatedBy: "%").count == 6, "\(top)")
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func poolingWindowAndItsWinner() throws {
        // LeNet's pool1: 2×2 windows, stride 2, no padding, so output (5,6) pools relu1's rows 10…11, columns 12…13.
        let dom = try Browser.dom(try Self.lenetPage, fragment: "layer=pool1&c=3&y=5&x=6")
        Self.noScriptErrors(dom)
        let readout = try #require(Browser.text(ofElement: "pool-readout", in: dom))
        let lines = readout.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["(10,12)", "(10,13)", "(11,12)", "(11,13)"], "\(readout)")
        let values = lines.map { Double($0.split(separator: " ")[1])! }
        let winners = lines.indices.filter { lines[$0].hasSuffix("← max") }
        #expect(winners.count == 1)
        let pooled = try Self.rf(Self.lenet, Self.digit, layer: "pool1", channel: 3, y: 5, x: 6).value
        // The marked cell holds the window's maximum, the value rf prints for the pooled unit.
        #expect(values[winners[0]] == values.max())
        #expect(abs(values[winners[0]] - pooled) <= 1e-3 * max(1, abs(pooled)), "\(values) against \(pooled)")
        for (i, cell) in [(10, 12), (10, 13), (11, 12), (11, 13)].enumerated() {
            let before = try Self.rf(Self.lenet, Self.digit, layer: "relu1", channel: 3, y: cell.0, x: cell.1).value
            #expect(abs(values[i] - before) <= 1e-3 * max(1, abs(before)), "relu1 (\(cell.0),\(cell.1)): \(values[i]) against \(before)")
        }
    }

    @Test(.enabled(if: Browser.available, "chromium is not installed (apt-get install chromium; .ci/deps installs it)"))
    func kernelWindowSumsToTheResponse() throws {
        let url = try Self.page("sobel", Self.cat)
        // Row 0: the kernel's top row lies in the zero padding.
        let dom = try Browser.dom(url, fragment: "layer=sobel-y&c=0&y=0&x=200")
        Self.noScriptErrors(dom)
        #expect(Browser.text(ofElement: "rf-readout", in: dom) == "rows -1…1, columns 199…201")
        let window = try #require(Browser.text(ofElement: "kernel-window", in: dom))
        let lines = window.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].split(separator: " ").allSatisfy { $0.hasPrefix("0×") }, "\(window)")
        // The page's own sum of pixel × weight against the response featmap's convolution computed.
        let sum = try #require(lines.last.flatMap { l in l.range(of: #"= -?[0-9.e+-]+"#, options: .regularExpression).map { Double(l[$0].dropFirst(2))! } })
        let map = try #require(lines.last.flatMap { l in l.range(of: #"the map: -?[0-9.e+-]+"#, options: .regularExpression).map { Double(l[$0].dropFirst(9))! } })
        #expect(abs(sum - map) <= 0.05 + 1e-3 * abs(map), "\(window)")
    }

    @Test func effectiveFieldsByDefaultWhereCheap() throws {
        // One unit per channel of each layer with maps: LeNet's six, SqueezeNet-first's seventeen (computed on
        // crops, 299 million multiply-accumulates against the budget of 400); above the budget none and a note
        // (ExplorerBudgetTests).
        let lenet = try #require(try Self.embedded("featmap-page", in: try String(contentsOf: try Self.lenetPage, encoding: .utf8)) as? [String: Any])
        let layers = try #require(lenet["layers"] as? [[String: Any]])
        let counts = layers.compactMap { l in (l["erf"] as? [Any]).map { (l["name"] as! String, $0.count) } }
        #expect(counts.map(\.0) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"])
        #expect(counts.map(\.1) == [6, 6, 6, 16, 16, 16])
        let squeezenet = try #require(try Self.embedded("featmap-page", in: try String(contentsOf: try Self.squeezenetPage, encoding: .utf8)) as? [String: Any])
        let sq = try #require(squeezenet["layers"] as? [[String: Any]])
        let mapped = try #require(try Self.embedded("featmap-model", in: try String(contentsOf: try Self.squeezenetPage, encoding: .utf8)) as? [String: Any])
        let shapes = try #require(mapped["layers"] as? [[String: Any]])
        #expect(sq.count == 17 && sq.allSatisfy { ($0["erf"] as? [Any])?.isEmpty == false })
        for (l, info) in zip(sq, shapes) {
            let channels = ((info["output_shape"] ?? info["shape"]) as? [Int])?.first
            #expect((l["erf"] as? [Any])?.count == channels, "\(l["name"] ?? "?")")
        }
        #expect((squeezenet["notes"] as? [String])?.contains { $0.contains("--erf-units 1") } != true)
    }
}
