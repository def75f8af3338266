import Foundation
import Testing

/// `--shard K/N` through the real binary: the parts of a batch process every input once, and
/// together write exactly what one unsharded run writes.
@Suite struct ShardCLITests {
    static func inputsOf(_ jsonLines: String) throws -> [String] {
        try jsonLines.split(separator: "\n").map {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            #expect(object["error"] == nil, "\($0)")
            return object["input"] as! String
        }
    }

    @Test func applyPartsProcessEachFileOnceAndMatchAnUnshardedRun() throws {
        let input = try BatchTests.makeDistinctFolder(count: 11)
        let root = input.deletingLastPathComponent()
        let whole = root.appendingPathComponent("whole"), parts = root.appendingPathComponent("parts")
        for d in [whole, parts] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        // {index} is the position in the whole list, so the parts' names are the unsharded run's.
        let name = "{index}-{stem}.{ext}"
        let all = try CLI.run(["apply", "sobel", input.path, "--out-dir", whole.path, "--name", name, "-q"])
        #expect(all.status == 0, "\(all.stderr)")
        var processed: [String] = []
        for k in 1...3 {
            let r = try CLI.run(["apply", "sobel", input.path, "--out-dir", parts.path, "--name", name, "--json", "--shard", "\(k)/3"])
            #expect(r.status == 0, "\(r.stderr)")
            let inputs = try Self.inputsOf(r.stdoutText)
            // Part k holds positions k-1, k-1+3, … of the sorted folder.
            let expected = stride(from: k - 1, to: 11, by: 3).map { input.appendingPathComponent(String(format: "img%03d.png", $0)).path }
            #expect(inputs.sorted() == expected, "part \(k)/3")
            processed += inputs
        }
        #expect(processed.count == 11 && Set(processed).count == 11)
        let names = try BatchTests.files(in: whole)
        #expect(names.count == 11)
        #expect(try BatchTests.files(in: parts) == names)
        for n in names {
            #expect(try Data(contentsOf: parts.appendingPathComponent(n)) == Data(contentsOf: whole.appendingPathComponent(n)), "\(n)")
        }
    }

    @Test func anEmptyPartSaysSoAndSucceeds() throws {
        let input = try BatchTests.makeDistinctFolder(count: 3)
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "sobel", input.path, "--out-dir", out.path, "--shard", "5/8"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("shard 5/8: no inputs (the list has 3)"), "\(r.stderr)")
        #expect(try BatchTests.files(in: out).isEmpty)
    }

    @Test(arguments: ["0/3", "4/3", "3", "a/b", "2/0", "-1/2", "1/2/3"])
    func badValuesAreUsageErrors(value: String) throws {
        let input = try BatchTests.makeDistinctFolder(count: 2)
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "sobel", input.path, "--out-dir", out.path, "--shard=\(value)"])
        #expect(r.status == 64, "\(value): \(r.stderr)")
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains("--shard") && (first.contains("K") || first.contains("N")), "\(value): \(r.stderr)")
        #expect(try BatchTests.files(in: out).isEmpty)
    }

    /// The other batch commands share the option: predict's lines of a part are the unsharded
    /// run's lines at that part's positions.
    @Test func predictPartsAreTheWholeRunsLinesAtTheirPositions() throws {
        let model = ModelCommandTests.sample("lenet.weights")
        let digits = ["digit.png", "digit-0.png", "digit-1.png", "digit-2.png", "digit-4.png"].map(ModelCommandTests.sample)
        let all = try CLI.run(["predict", model] + digits)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdoutText.split(separator: "\n")
        #expect(lines.count == 5 && zip(lines, digits).allSatisfy { $0.hasPrefix($1 + "\t") })
        for k in 1...2 {
            let r = try CLI.run(["predict", model] + digits + ["--shard", "\(k)/2"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdoutText.split(separator: "\n") == stride(from: k - 1, to: 5, by: 2).map { lines[$0] })
        }
    }
}
