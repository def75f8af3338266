import CZlib
import Foundation
import Testing
@testable import FeatMapKit

/// `featmap shift`'s library: the shift itself, the two errors by hand on tiny inputs and a one-layer
/// convolution, LeNet-5 on one MNIST digit against onnxruntime (Fixtures/mnist/shift-reference.json,
/// Tests/scripts/shift_fixtures.py), and the data-set readers with their refusals.
@Suite struct ShiftExperimentTests {
    static func mnist(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/mnist/\(name)", withExtension: nil)!
    }

    /// A one-layer network: the kernel as a Conv with "same" padding, input values taken as they are
    /// (range 0,255, no mean/std), so the planes are the network input.
    static func convModel(_ kernel: Kernel, size: Int) throws -> Model {
        Model(name: "conv", graph: try Graph.singleConvolution(kernel: kernel, channels: 1),
              preprocessing: Preprocessing(width: size, height: size, color: .grey, fit: .stretch, range: [0, 255], mean: [0], std: [1]))
    }

    @Test func shiftedMovesContentAndFillsByHand() {
        let t = Tensor(shape: [1, 2, 3], storage: [1, 2, 3, 4, 5, 6])
        #expect(t.shifted(by: Pair(0, 1), fill: .zero).storage == [0, 1, 2, 0, 4, 5])
        #expect(t.shifted(by: Pair(0, 1), fill: .replicate).storage == [1, 1, 2, 4, 4, 5])
        #expect(t.shifted(by: Pair(1, -1), fill: .zero).storage == [0, 0, 0, 2, 3, 0])
        #expect(t.shifted(by: Pair(-1, -2), fill: .replicate).storage == [6, 6, 6, 6, 6, 6])
        #expect(t.shifted(by: Pair(0, 0), fill: .zero) == t)
    }

    @Test func shiftRangeParsesAndRefusesShiftsLargerThanTheInput() throws {
        #expect(try ShiftRange(parsing: "-4..4").shifts == Array(-4...4))
        #expect(try ShiftRange(parsing: "3").shifts == [3])
        #expect(throws: ModelError.self) { try ShiftRange(parsing: "4..-4") }
        #expect(throws: ModelError.self) { try ShiftRange(parsing: "a..b") }
        try ShiftRange(parsing: "-27..27").check(axis: .x, height: 28, width: 28)
        #expect(throws: ModelError.self) { try ShiftRange(parsing: "-28..0").check(axis: .x, height: 28, width: 28) }
        // Along y only the height counts.
        try ShiftRange(parsing: "0..9").check(axis: .y, height: 10, width: 5)
        #expect(throws: ModelError.self) { try ShiftRange(parsing: "0..5").check(axis: .both, height: 10, width: 5) }
    }

    @Test func invarianceErrorByHand() {
        // ‖(0, 4) − (3, 4)‖ / ‖(3, 4)‖ = 3 / 5.
        let a = Tensor(shape: [1, 1, 2], storage: [3, 4]), b = Tensor(shape: [1, 1, 2], storage: [0, 4])
        #expect(abs(ShiftErrors.invariance(original: a, shifted: b)! - 0.6) < 1e-12)
        #expect(ShiftErrors.invariance(original: Tensor(shape: [1, 1, 2], repeating: 0), shifted: b) == nil)
    }

    @Test func equivarianceNeedsAMultipleOfTheJump() {
        let a = Tensor(shape: [1, 4, 4], storage: (0..<16).map(Float.init))
        let field = ReceptiveField(size: Pair(2, 2), jump: Pair(2, 2), padding: Pair(0, 0))
        #expect(ShiftErrors.equivariance(original: a, shifted: a, shift: Pair(0, 1), field: field, inputHeight: 8, inputWidth: 8) == nil)
        #expect(ShiftErrors.equivariance(original: a, shifted: a, shift: Pair(0, 0), field: field, inputHeight: 8, inputWidth: 8) == 0)
        // A shift of 2 px is one cell: shifted[u] compared with original[u − 1], cells 1…3 along x, all rows.
        let moved = a.shifted(by: Pair(0, 1), fill: .zero)
        #expect(ShiftErrors.equivariance(original: a, shifted: moved, shift: Pair(0, 2), field: field, inputHeight: 8, inputWidth: 8) == 0)
        // Fields of the last cells reach past a 6-px-wide image: only cells 1…2 (fields [2,3], [4,5]) count, and the
        // values there (+100) make the error by hand: diff 100 over 8 values, original (columns 0…1) as the norm.
        var off = moved
        for y in 0..<4 { for x in 1..<3 { off.storage[y * 4 + x] += 100 } }
        let cells: [Float] = (0..<4).flatMap { y in [Float(y * 4), Float(y * 4 + 1)] }
        let norm = cells.map { Double($0 * $0) }.reduce(0, +).squareRoot()
        let expected = (8 * 100.0 * 100).squareRoot() / norm
        let got = ShiftErrors.equivariance(original: a, shifted: off, shift: Pair(0, 2), field: field, inputHeight: 8, inputWidth: 6)
        #expect(abs(got! - expected) < 1e-9)
    }

    @Test func oneConvolutionIsEquivariantAwayFromTheBorder() throws {
        let kernel = Kernel(name: "k", width: 3, height: 3, values: [1, 2, 0, -1, 3, 1, 0.5, -2, 1])
        let model = try Self.convModel(kernel, size: 8)
        var planes = Tensor(shape: [1, 8, 8], repeating: 0)
        for i in 0..<64 { planes.storage[i] = Float((i * 37) % 11) - 3 }
        let e = try ShiftExperiment(model: model, fitted: planes, shifts: ShiftRange(-2, 2), axis: .x, fill: .zero)
        #expect(e.layers.count == 1)
        let layer = e.layers[0]
        #expect(layer.jump == [1, 1] && layer.kind == .conv)
        for (d, eq) in zip(e.shifts, layer.equivarianceError) {
            #expect(eq != nil && eq! < 1e-6, "shift \(d)")
        }
        // Including the border cells (a 1×1 "field") catches the padding and the zero fill: the error is no longer zero.
        let conv = model.graph.forward(try model.preprocessing.normalised(planes)).output!
        let moved = model.graph.forward(try model.preprocessing.normalised(planes.shifted(by: Pair(0, 1), fill: .zero))).output!
        let maps = { (t: Tensor) in Tensor(shape: [1, 8, 8], storage: t.storage) }
        let everyCell = ShiftErrors.equivariance(original: maps(conv), shifted: maps(moved), shift: Pair(0, 1),
                                                 field: ReceptiveField.input, inputHeight: 8, inputWidth: 8)
        #expect(everyCell! > 1e-3)
        #expect(layer.invarianceError[2] == 0)
        #expect(layer.invarianceError.enumerated().allSatisfy { $0.offset == 2 || $0.element! > 0.1 })
    }

    @Test func identityConvolutionInvarianceByHand() throws {
        // A 1×1 kernel of 1: the map is the input. One bright pixel moved by 1 px: ‖(−1, 1)‖ / ‖1‖ = √2.
        let model = try Self.convModel(Kernel(name: "id", width: 1, height: 1, values: [1]), size: 6)
        var planes = Tensor(shape: [1, 6, 6], repeating: 0)
        planes.storage[2 * 6 + 2] = 200
        for fill in ShiftFill.allCases {
            let e = try ShiftExperiment(model: model, fitted: planes, shifts: ShiftRange(0, 1), axis: .both, fill: fill)
            #expect(abs(e.layers[0].invarianceError[1]! - 2.0.squareRoot()) < 1e-9)
            #expect(e.layers[0].equivarianceError[1]! < 1e-12)
            #expect(e.top.isEmpty)   // not a classifier
        }
    }

    /// LeNet-5 (the ONNX file the sample was converted from) on MNIST test digit 0, against onnxruntime.
    /// LeNet-5 with the MNIST normalisation of samples/lenet.weights: (x/255 − 0.1307)/0.3081.
    static func lenet() throws -> Model {
        var model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        model.preprocessing.mean = [0.1307]; model.preprocessing.std = [0.3081]; model.preprocessing.range = [0, 1]
        return model
    }

    /// The first 1,000 MNIST test digits and their labels, read `chunk` at a time.
    static func firstThousand(chunk: Int) throws -> LabelledImages {
        try LabelledImages.open(images: mnist("t10k-images-1000-idx3-ubyte.gz").path,
                                labels: mnist("t10k-labels-1000-idx1-ubyte.gz").path, chunk: chunk)
    }

    @Test func lenetOnOneDigitMatchesOnnxruntime() throws {
        struct Reference: Decodable {
            struct Layer: Decodable { var name: String; var op: String; var jump: [Int]; var equivariance_error: [Double?]; var invariance_error: [Double] }
            struct Top: Decodable { var shift: Int; var `class`: Int; var probability: Double }
            struct Digit: Decodable { var layers: [Layer]; var top: [Top]; var label: Int }
            var shifts: [Int]
            var digit: Digit
        }
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.mnist("shift-reference.json")))
        let model = try Self.lenet()
        let data = try Self.firstThousand(chunk: 1)
        let first = try data.nextChunk()[0]
        #expect(first.1 == ref.digit.label)
        let planes = try DatasetShift.fitted(first.0, preprocessing: model.preprocessing, refit: false)
        let e = try ShiftExperiment(model: model, fitted: planes, shifts: ShiftRange(-4, 4), axis: .x, fill: .zero)
        #expect(e.shifts == ref.shifts)
        #expect(e.layers.map(\.op) == ref.digit.layers.map(\.op))
        for (mine, theirs) in zip(e.layers, ref.digit.layers) {
            #expect(mine.jump == theirs.jump, "\(mine.name)")
            for (a, b) in zip(mine.equivarianceError, theirs.equivariance_error) {
                #expect((a == nil) == (b == nil), "\(mine.name)")
                if let a, let b { #expect(abs(a - b) < 1e-4, "\(mine.name): \(a) vs \(b)") }
            }
            for (a, b) in zip(mine.invarianceError, theirs.invariance_error) {
                #expect(abs(a! - b) < 1e-4 * max(1, b), "\(mine.name): \(a!) vs \(b)")
            }
        }
        #expect(e.top.map(\.index) == ref.digit.top.map(\.class))
        for (a, b) in zip(e.top, ref.digit.top) { #expect(abs(a.probability - b.probability) < 1e-4) }
        // The JSON the command prints: the issue's keys, nulls where the shift is not a multiple of the jump.
        let json = try e.json()
        for key in ["\"shifts\"", "\"layers\"", "\"jump\"", "\"equivariance_error\"", "\"invariance_error\"", "\"top\"", "null"] {
            #expect(json.contains(key))
        }
    }

    /// The first 1,000 digits unshifted and moved 2 px right: the counts onnxruntime gives.
    @Test func accuracyOnAThousandDigitsMatchesOnnxruntime() throws {
        struct Reference: Decodable {
            struct Row: Decodable { var shift: Int; var correct: Int; var total: Int }
            struct Accuracy: Decodable { var first1000: [Row] }
            var accuracy: Accuracy
        }
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.mnist("shift-reference.json")))
        let model = try Self.lenet()
        let data = try Self.firstThousand(chunk: 300)
        var seen: [Int] = []
        let result = try DatasetShift.accuracy(model: model, data: data, shifts: ShiftRange(2, 2), axis: .x, fill: .zero,
                                               refit: false) { done, _ in seen.append(done) }
        #expect(seen == [300, 600, 900, 1000])
        let expected = ref.accuracy.first1000.first { $0.shift == 2 }!, zero = ref.accuracy.first1000.first { $0.shift == 0 }!
        #expect(result.accuracy == [ShiftAccuracy(shift: 2, correct: expected.correct, total: 1000)])
        #expect(result.unshifted == ShiftAccuracy(shift: 0, correct: zero.correct, total: 1000))
    }

    // MARK: Data sets

    static func idxBytes(magic: Int, sizes: [Int], payload: Int) -> [UInt8] {
        var b: [UInt8] = []
        for v in [magic] + sizes { b += [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        return b + (0..<payload).map { UInt8($0 % 256) }
    }

    static func write(_ bytes: [UInt8], _ url: URL, gzip: Bool = false) throws {
        if gzip {
            let f = gzopen(url.path, "wb")!
            _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            gzclose(f)
        } else {
            try Data(bytes).write(to: url)
        }
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-shift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func idxReadsPlainAndGzippedAlike() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = Self.idxBytes(magic: 2051, sizes: [3, 2, 2], payload: 12), labels = Self.idxBytes(magic: 2049, sizes: [3], payload: 3)
        for gz in [false, true] {
            let i = dir.appendingPathComponent("i\(gz)"), l = dir.appendingPathComponent("l\(gz)")
            try Self.write(images, i, gzip: gz); try Self.write(labels, l, gzip: gz)
            let data = try LabelledImages.open(images: i.path, labels: l.path, chunk: 2)
            #expect(data.count == 3)
            let a = try data.nextChunk(), b = try data.nextChunk(), c = try data.nextChunk()
            #expect(a.count == 2 && b.count == 1 && c.isEmpty)
            #expect(a.map(\.1) == [0, 1] && b.map(\.1) == [2])
            guard case .pixels(let v, 2, 2) = b[0].0 else { Issue.record("not pixels"); continue }
            #expect(v == [8, 9, 10, 11])
        }
    }

    @Test func idxRefusesWrongHeadersSizesAndCounts() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let labels = dir.appendingPathComponent("labels")
        try Self.write(Self.idxBytes(magic: 2049, sizes: [3], payload: 3), labels)
        func refusal(_ images: [UInt8], gzip: Bool = false, labels l: URL? = nil) throws -> String {
            let url = dir.appendingPathComponent("images-\(UUID().uuidString)")
            try Self.write(images, url, gzip: gzip)
            do { _ = try LabelledImages.open(images: url.path, labels: (l ?? labels).path); return "" } catch { return "\(error)" }
        }
        #expect(try refusal(Self.idxBytes(magic: 2049, sizes: [3, 2, 2], payload: 12)).contains("magic number is 2049"))
        #expect(try refusal(Self.idxBytes(magic: 2051, sizes: [3, 2, 2], payload: 11)).contains("wrong size"))
        #expect(try refusal(Self.idxBytes(magic: 2051, sizes: [3, 2, 2], payload: 13), gzip: true).contains("wrong size"))
        #expect(try refusal([0, 0, 8]).contains("only 3 bytes"))
        let four = dir.appendingPathComponent("four")
        try Self.write(Self.idxBytes(magic: 2049, sizes: [4], payload: 4), four)
        #expect(try refusal(Self.idxBytes(magic: 2051, sizes: [3, 2, 2], payload: 12), labels: four).contains("holds 4 labels but"))
        #expect(try refusal(Self.idxBytes(magic: 2051, sizes: [3, 2, 2], payload: 12)) == "")
    }

    /// The same three digits as an idx pair, an ImageFolder and a CSV give the same counts.
    @Test func folderAndCSVGiveWhatIdxGives() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let idx = try Self.firstThousand(chunk: 6)
        let digits = try idx.nextChunk()
        var csv = "path,label\n", pixels: [UInt8] = []
        for (k, (raw, label)) in digits.enumerated() {
            guard case .pixels(let v, let h, let w) = raw else { continue }
            pixels += v.map { UInt8($0) }
            let sub = dir.appendingPathComponent("folder/\(label)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let image = Image(width: w, height: h, channels: 1, bitDepth: 8, samples: v)
            try ImageEncoder.write(image, as: .png(depth: 8), to: sub.appendingPathComponent("\(k).png").path)
            csv += "folder/\(label)/\(k).png,\(label)\n"
        }
        try csv.write(to: dir.appendingPathComponent("list.csv"), atomically: true, encoding: .utf8)
        var model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        model.preprocessing.mean = [0.1307]; model.preprocessing.std = [0.3081]
        func run(_ data: LabelledImages) throws -> [Int] {
            try DatasetShift.accuracy(model: model, data: data, shifts: ShiftRange(-3, 3), axis: .x, fill: .zero, refit: false).accuracy.map(\.correct)
        }
        var images = Self.idxBytes(magic: 2051, sizes: [6, 28, 28], payload: 0), labels = Self.idxBytes(magic: 2049, sizes: [6], payload: 0)
        images += pixels; labels += digits.map { UInt8($0.1) }
        try Self.write(images, dir.appendingPathComponent("i.gz"), gzip: true)
        try Self.write(labels, dir.appendingPathComponent("l"))
        let a = try run(try LabelledImages.open(images: dir.appendingPathComponent("i.gz").path, labels: dir.appendingPathComponent("l").path))
        let b = try run(try LabelledImages.open(images: dir.appendingPathComponent("folder").path, labels: nil))
        let c = try run(try LabelledImages.open(images: dir.appendingPathComponent("list.csv").path, labels: nil))
        #expect(a == b && b == c)
        #expect(a[3] >= 5)   // unshifted, LeNet gets (nearly) all six
        #expect(throws: ModelError.self) { try LabelledImages.open(images: dir.appendingPathComponent("folder").path, labels: "x") }
    }

    /// A data set's images that already have the input size go in as they are; `refit` (--fit) fits them again.
    @Test func imagesOfTheInputSizeGoInAsTheyAre() throws {
        let p = Preprocessing(width: 4, height: 4, color: .grey, fit: .digit, range: [0, 1], mean: [0.5], std: [0.25])
        var v = [Float](repeating: 0, count: 16)
        v[0] = 255; v[1] = 128   // ink in the corner: the digit fit would move it to the centre
        let image = Image(width: 4, height: 4, channels: 1, bitDepth: 8, samples: v)
        #expect(try p.fitted(image, refit: false).storage == v)
        #expect(try p.fitted(image, refit: true).storage != v)
        // Normalisation: ((0 + x/255·1) − 0.5) / 0.25.
        #expect(try p.normalised(Tensor(shape: [1, 4, 4], storage: v)).storage[0] == 2)
        #expect(try p.normalised(Tensor(shape: [1, 4, 4], storage: v)).storage[2] == -2)
        // prepared() is fitted() then normalised().
        #expect(try p.prepared(image).tensor == p.normalised(p.fitted(image)))
    }

    @Test func accuracyNeedsAClassifier() throws {
        let model = try Self.convModel(Kernel(name: "id", width: 1, height: 1, values: [1]), size: 28)
        let data = try LabelledImages.open(images: Self.mnist("t10k-images-1000-idx3-ubyte.gz").path,
                                           labels: Self.mnist("t10k-labels-1000-idx1-ubyte.gz").path)
        #expect { try DatasetShift.accuracy(model: model, data: data, shifts: ShiftRange(0, 1), axis: .x, fill: .zero, refit: false) } throws: {
            "\($0)".contains("needs a classifier")
        }
    }
}

