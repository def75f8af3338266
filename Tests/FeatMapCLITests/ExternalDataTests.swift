import FeatMapKit
import Foundation
import Testing

/// ONNX models whose tensors live in files beside them (issue 14; fixtures: Fixtures/external, made by
/// Tests/scripts/external_data_fixtures.py): read as the same model with its tensors inside, and every
/// location that could leave the model's folder, or a byte range that does not fit, refused in one line.
@Suite struct ExternalDataTests {
    static let embedded = BatchInputTests.lenet
    static func fixture(_ name: String) -> String { CLI.fixture("external/\(name)").path }

    @Test(arguments: ["one", "many"])
    func sameLayersAndPredictionsAsEmbedded(_ variant: String) throws {
        let dir = try CLI.temporaryDirectory()
        let model = Self.fixture("\(variant)/lenet.onnx")
        for (name, path) in [("embedded", Self.embedded), ("external", model)] {
            let r = try CLI.run(["layers", path, BatchInputTests.digits, "--npy", "--no-images", "-o", name], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let arrays = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("embedded").path).sorted()
        #expect(arrays.filter { $0.hasSuffix(".npy") }.count == 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("external").path).sorted() == arrays)
        for name in arrays where name.hasSuffix(".npy") {
            #expect(try Data(contentsOf: dir.appendingPathComponent("embedded/\(name)")) == Data(contentsOf: dir.appendingPathComponent("external/\(name)")), "\(name)")
        }
        let a = try CLI.run(["predict", Self.embedded, BatchInputTests.digits]), b = try CLI.run(["predict", model, BatchInputTests.digits])
        #expect(a.status == 0 && b.status == 0, "\(b.stderr)")
        #expect(a.stdoutText == b.stdoutText && a.stdoutText.split(separator: "\n").count == 3)
    }

    @Test func smallConvMatchesOnnxruntime() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.fixture("hostile/good.onnx"), Self.fixture("hostile/x.npy"), "--npy", "--no-images", "-o", "out"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let mine = try BatchInputTests.npy(dir.appendingPathComponent("out/01-conv.npy"))
        let ref = try BatchInputTests.npy(URL(fileURLWithPath: Self.fixture("hostile/good-y.npy")))
        #expect(mine.shape == [2, 8, 8] && mine.count == ref.count)
        #expect(zip(mine.storage, ref.storage).map { abs($0 - $1) }.max()! <= 1e-5)
    }

    @Test(arguments: [
        ("absolute", "keeps its data at the absolute path '/tmp/tiny.data', which featmap refuses"),
        ("dotdot", "keeps its data at '../hostile/tiny.data', which contains '..'"),
        ("missing", "keeps its data in 'nowhere.data', which cannot be opened (no such file)"),
        ("truncated", "needs bytes 8…80 of 'truncated.data', which has 40 bytes"),
        ("offset", "needs bytes 4096…4168 of 'tiny.data', which has 80 bytes"),
        ("length", "has external_data length 68 bytes, but its shape [2, 1, 3, 3] needs 72"),
    ])
    func hostileLocationIsRefused(_ name: String, _ reason: String) throws {
        let dir = try CLI.temporaryDirectory()
        let model = Self.fixture("hostile/\(name).onnx")
        for command in [["predict", model, Self.fixture("hostile/x.npy")], ["layers", model, Self.fixture("hostile/x.npy"), "-o", "out"]] {
            let r = try CLI.run(command, in: dir)
            #expect(r.status == 1 && r.stdoutText.isEmpty)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(model) && lines[0].contains("tensor 'w'") && lines[0].contains(reason), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    /// A symbolic link (made here: git keeps links badly) is followed, and refused when it leaves the folder.
    @Test func symbolicLinkOutsideTheFolderIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let inside = dir.appendingPathComponent("inside"), outside = dir.appendingPathComponent("outside")
        for d in [inside, outside] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        for name in ["link.onnx", "tiny.data"] { try FileManager.default.copyItem(atPath: Self.fixture("hostile/\(name)"), toPath: inside.appendingPathComponent(name).path) }
        try FileManager.default.copyItem(atPath: Self.fixture("hostile/tiny.data"), toPath: outside.appendingPathComponent("tiny.data").path)
        let link = inside.appendingPathComponent("link.data"), model = inside.appendingPathComponent("link.onnx").path
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../outside/tiny.data")
        let refused = try CLI.run(["predict", model, Self.fixture("hostile/x.npy")])
        let lines = refused.stderr.split(separator: "\n")
        #expect(refused.status == 1 && lines.count == 1 && lines[0].contains(model) && lines[0].contains("tensor 'w'")
                && lines[0].contains("outside the model's folder"), "\(refused.stderr)")
        // The same bytes through a link that stays inside are read.
        try FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "tiny.data")
        let r = try CLI.run(["layers", model, Self.fixture("hostile/x.npy"), "--npy", "--no-images", "-o", "out"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let mine = try BatchInputTests.npy(dir.appendingPathComponent("out/01-conv.npy"))
        let ref = try BatchInputTests.npy(URL(fileURLWithPath: Self.fixture("hostile/good-y.npy")))
        #expect(zip(mine.storage, ref.storage).map { abs($0 - $1) }.max()! <= 1e-5)
    }
}
