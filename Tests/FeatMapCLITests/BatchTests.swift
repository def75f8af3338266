import FeatMapKit
import Foundation
import Testing

/// Batches and pipelines (issue 5), through the real binary.
@Suite struct BatchTests {
    static func files(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    /// 200 copies of a real photo crop, 5 of them cut short.
    static func makeFolder(count: Int = 200, corrupt: Set<Int> = [7, 50, 51, 120, 199]) throws -> URL {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("in")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let good = try Data(contentsOf: CLI.fixture("ok/photo.png"))
        for i in 0..<count {
            let data = corrupt.contains(i) ? good.prefix(good.count / 2) : good
            try data.write(to: dir.appendingPathComponent(String(format: "img%03d.png", i)))
        }
        return dir
    }

    @Test func corruptFilesAreReportedAndTheBatchGoesOn() throws {
        let input = try Self.makeFolder()
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "sobel", input.path, "--out-dir", out.path, "-j", "2", "--quiet"])
        #expect(r.status == 1)
        #expect(try Self.files(in: out).count == 195)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("featmap: ") }
        #expect(errors.count == 5, "\(r.stderr)")
        for name in ["img007.png", "img050.png", "img051.png", "img120.png", "img199.png"] {
            #expect(errors.contains { $0.contains(name) }, "no error line names \(name)")
        }
        #expect(r.stderr.contains("195 succeeded, 5 failed"))
    }

    @Test func parallelOutputIsByteIdenticalToSerial() throws {
        let input = try Self.makeFolder(count: 12, corrupt: [])
        let base = input.deletingLastPathComponent()
        var results: [[Data]] = []
        for jobs in ["1", "2"] {
            let out = base.appendingPathComponent("out\(jobs)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let r = try CLI.run(["apply", "gaussian:2", input.path, "--out-dir", out.path, "-j", jobs, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            results.append(try Self.files(in: out).map { try Data(contentsOf: out.appendingPathComponent($0)) })
        }
        #expect(results[0].count == 12)
        #expect(results[0] == results[1])
    }

    @Test func filesFromStandardInputWithNulSeparators() throws {
        let dir = try CLI.temporaryDirectory()
        let names = ["with space.png", "with\nnewline.png"]
        for n in names { try FileManager.default.copyItem(at: CLI.fixture("ok/photo.png"), to: dir.appendingPathComponent(n)) }
        let list = names.map { dir.appendingPathComponent($0).path }.joined(separator: "\0") + "\0"
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "box:3", "--files-from", "-", "-0", "--out-dir", out.path, "--json"], stdin: Data(list.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Set(Self.files(in: out)) == ["with space-box-3.png", "with\nnewline-box-3.png"])
        #expect(r.stdoutText.split(separator: "\n").count == 2)
    }

    @Test func sameStemInTwoFoldersDoesNotCollide() throws {
        let dir = try CLI.temporaryDirectory()
        for sub in ["a", "b"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: CLI.fixture("ok/photo.png"), to: dir.appendingPathComponent("\(sub)/photo.png"))
        }
        let r = try CLI.run(["apply", "sobel", "a/photo.png", "b/photo.png"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a_photo-sobel.png").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("b_photo-sobel.png").path))
    }

    @Test func nameTemplateAndNoClobber() throws {
        let input = try Self.makeFolder(count: 3, corrupt: [])
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "edge", input.path, "--out-dir", out.path, "--name", "{index}_{stem}.{ext}", "--format", "jpeg"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.files(in: out) == ["1_img000.jpg", "2_img001.jpg", "3_img002.jpg"])
        let kept = try Data(contentsOf: out.appendingPathComponent("1_img000.jpg"))
        let r2 = try CLI.run(["apply", "sobel", input.path, "--out-dir", out.path, "--name", "{index}_{stem}.{ext}", "--format", "jpeg", "--no-clobber"])
        #expect(r2.status == 0)
        #expect(r2.stderr.contains("3 skipped"))
        #expect(try Data(contentsOf: out.appendingPathComponent("1_img000.jpg")) == kept)
    }

    /// A batch killed with SIGKILL part-way leaves only complete, decodable outputs under
    /// output names (temporary files are hidden dot-files, never named like an output).
    @Test func killedBatchLeavesOnlyCompleteOutputs() throws {
        let input = try Self.makeFolder(count: 400, corrupt: [])
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["apply", "gaussian:3", input.path, "--out-dir", out.path, "-j", "2", "--quiet"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        var waited = 0
        while try Self.files(in: out).filter({ !$0.hasPrefix(".") }).count < 20 && waited < 2000 {
            usleep(10_000); waited += 10
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let visible = try Self.files(in: out).filter { !$0.hasPrefix(".") }
        #expect(visible.count >= 1 && visible.count < 400)
        for name in visible {
            #expect(name.hasSuffix("-gaussian-3.png"))
            let bytes = [UInt8](try Data(contentsOf: out.appendingPathComponent(name)))
            #expect(throws: Never.self) { _ = try ImageDecoder.decode(bytes, source: name) }
        }
    }

    /// Ctrl-C stops promptly with a message and removes the temporary files of unfinished outputs.
    @Test func interruptStopsPromptlyAndCleansUp() throws {
        let input = try Self.makeFolder(count: 400, corrupt: [])
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["apply", "gaussian:3", input.path, "--out-dir", out.path, "-j", "2", "--quiet"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        var waited = 0
        while try Self.files(in: out).filter({ !$0.hasPrefix(".") }).count < 10 && waited < 2000 {
            usleep(10_000); waited += 10
        }
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 2)
        #expect(p.terminationStatus == 130)
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("interrupted"))
        #expect(try Self.files(in: out).filter { $0.hasPrefix(".") }.isEmpty, "temporary files left behind")
    }

    /// Peak memory of predict does not grow with the number of files: 2,000 inputs peak within
    /// a few MiB of 200. The peak is the child's own high-water mark (VmHWM, monotonic), read
    /// from /proc while it runs.
    @Test func predictMemoryDoesNotGrowWithTheNumberOfFiles() throws {
        let dir = try CLI.temporaryDirectory()
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples").standardized
        let digit = samples.appendingPathComponent("digit.png").path
        func peak(of count: Int) throws -> Int {
            let list = dir.appendingPathComponent("list\(count).txt")
            try String(repeating: digit + "\n", count: count).write(to: list, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["predict", samples.appendingPathComponent("lenet.weights").path, "--files-from", list.path, "-j", "2", "--quiet"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            var highest = 0
            while p.isRunning {
                if let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
                   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                   let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
                    highest = max(highest, kib)
                }
                usleep(2_000)
            }
            #expect(p.terminationStatus == 0)
            return highest
        }
        let small = try peak(of: 200)
        let large = try peak(of: 2000)
        #expect(small > 0 && large > 0)
        #expect(large <= small + 8 * 1024, "peak grew from \(small) KiB to \(large) KiB")
    }

    /// pool and layers take folders like apply: one output per good input, an error line per bad one.
    @Test(arguments: ["pool", "layers"])
    func otherImageCommandsRunBatches(command: String) throws {
        let input = try Self.makeFolder(count: 4, corrupt: [2])
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples").standardized
        let args = command == "pool"
            ? ["pool", input.path, "--out-dir", out.path, "-j", "2"]
            : ["layers", samples.appendingPathComponent("lenet.weights").path, input.path, "-o", out.path, "-j", "2", "--json"]
        let r = try CLI.run(args)
        #expect(r.status == 1)
        #expect(r.stderr.contains("img002.png"))
        #expect(r.stderr.contains("3 succeeded, 1 failed"))
        let made = try Self.files(in: out)
        #expect(made == (command == "pool"
            ? ["img000-maxpool.png", "img001-maxpool.png", "img003-maxpool.png"]
            : ["img000-layers", "img001-layers", "img003-layers"]))
        if command == "layers" {
            // One JSON line per input: three with their layers, one with the error.
            let lines = r.stdoutText.split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines.filter { $0.contains("\"layers\":[") }.count == 3)
            #expect(lines.filter { $0.contains("\"error\":") && $0.contains("img002.png") }.count == 1)
        }
    }
}
