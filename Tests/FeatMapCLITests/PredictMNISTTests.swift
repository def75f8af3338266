import CZlib
import FeatMapKit
import Foundation
import Testing

/// `featmap predict` on the first 1,000 MNIST test digits, against onnxruntime. The digits, their
/// labels and onnxruntime's LeNet-5 probabilities are Tests/FeatMapKitTests/Fixtures/mnist (made by
/// Tests/scripts/whole_model_fixtures.py: onnxruntime on (x/255 − 0.1307)/0.3081 of each 28×28 digit).
@Suite struct PredictMNISTTests {
    static let mnist = ModelCommandTests.repository.appendingPathComponent("Tests/FeatMapKitTests/Fixtures/mnist")

    /// A gzip file inflated by zlib (windowBits 15 + 16: gzip wrapper, CRC-32 checked).
    static func gunzipped(_ url: URL) throws -> [UInt8] {
        let packed = [UInt8](try Data(contentsOf: url))
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CocoaError(.fileReadCorruptFile)
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status = Z_OK
        packed.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            while status == Z_OK {
                chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                }
                out += chunk.prefix(chunk.count - Int(stream.avail_out))
            }
        }
        guard status == Z_STREAM_END else { throw CocoaError(.fileReadCorruptFile) }
        return out
    }

    /// The 1,000 digits written as 8-bit grey PNGs, one `featmap predict` over all of them (the
    /// model's normalisation from samples/lenet.weights; `--fit stretch`, the identity at 28×28,
    /// because the model's `digit` fit would re-centre digits MNIST has already centred): each line's
    /// class is onnxruntime's and its probability onnxruntime's to the 4 decimals printed, and the
    /// accuracy on the labels is onnxruntime's (990 of 1000).
    @Test func predictGivesOnnxruntimesDigitForEachOfAThousandMNISTDigits() throws {
        let images = try Self.gunzipped(Self.mnist.appendingPathComponent("t10k-images-1000-idx3-ubyte.gz"))
        let labels = try Self.gunzipped(Self.mnist.appendingPathComponent("t10k-labels-1000-idx1-ubyte.gz")).dropFirst(8).map(Int.init)
        try #require(images.count == 16 + 1000 * 784 && labels.count == 1000)
        let refURL = Self.mnist.appendingPathComponent("lenet-onnxruntime-1000.safetensors")
        let ref = try SafeTensors(try Data(contentsOf: refURL), file: refURL.path)
        let probabilities = try #require(ref.tensors["probabilities"]).storage
        let predicted = try #require(ref.tensors["predicted"]).storage.map { Int($0) }
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for i in 0..<1000 {
            let pixels = images[(16 + i * 784)..<(16 + (i + 1) * 784)].map(Float.init)
            let path = dir.appendingPathComponent(String(format: "%04d.png", i)).path
            try ImageEncoder.write(Image(width: 28, height: 28, channels: 1, bitDepth: 8, samples: pixels), as: .png(depth: 8), to: path)
            paths.append(path)
        }
        let list = dir.appendingPathComponent("list.txt")
        try Data((paths.joined(separator: "\n") + "\n").utf8).write(to: list)
        let r = try CLI.run(["predict", ModelCommandTests.sample("lenet.weights"), "--fit", "stretch", "--files-from", list.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        try #require(lines.count == 1000)
        var differing: [Int] = [], worst = 0.0, correct = 0
        for (i, fields) in lines.enumerated() {
            try #require(fields.count == 3 && fields[0] == paths[i], "line \(i): \(fields)")
            let digit = try #require(Int(fields[1])), p = try #require(Double(fields[2]))
            if digit != predicted[i] { differing.append(i) }
            if digit == labels[i] { correct += 1 }
            worst = max(worst, abs(p - Double(probabilities[i * 10 + predicted[i]])))
        }
        #expect(differing.isEmpty, "digits \(differing.prefix(20)) predicted otherwise than onnxruntime")
        // Printed with 4 decimals: within half a unit of the last place, and a little for float32.
        #expect(worst <= 0.5e-4 + 1e-5, "printed probabilities differ from onnxruntime's by up to \(worst)")
        #expect(correct == Int(try #require(ref.tensors["correct"]).storage[0]) && correct == 990)
    }

    /// Inputs run 64 (here, with 21 files on 2 workers, 11) per batched pass: every line is the line of
    /// that file run alone, byte for byte, in input order; a damaged file among them gets its one-line
    /// error, the others their lines, and the exit status is 1.
    @Test func batchedPredictGivesEachFileItsLineAloneAndABadFileItsError() throws {
        let images = try Self.gunzipped(Self.mnist.appendingPathComponent("t10k-images-1000-idx3-ubyte.gz"))
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for i in 0..<21 {
            let path = dir.appendingPathComponent(String(format: "%02d.png", i)).path
            if i == 9 {
                try Data("not a picture at all".utf8).write(to: URL(fileURLWithPath: path))
            } else {
                let pixels = images[(16 + i * 784)..<(16 + (i + 1) * 784)].map(Float.init)
                try ImageEncoder.write(Image(width: 28, height: 28, channels: 1, bitDepth: 8, samples: pixels), as: .png(depth: 8), to: path)
            }
            paths.append(path)
        }
        let model = ModelCommandTests.sample("lenet.weights")
        let together = try CLI.run(["predict", model, "-j", "2"] + paths)
        #expect(together.status == 1)
        // Its error line, and the summary.
        let errors = together.stderr.split(separator: "\n").filter { !$0.contains("20 succeeded, 1 failed") }
        #expect(errors.count == 1 && errors[0].contains(paths[9]), "\(together.stderr)")
        var expected: [String] = []
        for (i, path) in paths.enumerated() where i != 9 {
            let alone = try CLI.run(["predict", model, path])
            #expect(alone.status == 0, "\(alone.stderr)")
            expected.append(alone.stdoutText)
        }
        #expect(together.stdoutText == expected.joined(), "batched lines differ from the lines of each file alone")
        // JSON: the same classes and probabilities, the bad file's error in its place.
        let json = try CLI.run(["predict", model, "-j", "2", "--json"] + paths)
        #expect(json.status == 1)
        let lines = json.stdoutText.split(separator: "\n")
        try #require(lines.count == 21)
        #expect(lines[9].contains("\"error\"") && lines[9].contains("09.png"))
        let alone = try CLI.run(["predict", model, "--json", paths[10]])
        func withoutTime(_ s: Substring) -> String { s.replacingOccurrences(of: #","ms":[0-9.]+"#, with: "", options: .regularExpression) }
        #expect(withoutTime(lines[10]) == withoutTime(alone.stdoutText.split(separator: "\n")[0]))
    }
}
