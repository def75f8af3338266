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

    /// `count` different images: crops of the committed photo at different offsets, mirrored or
    /// not, each of its own size, so that an output written under another input's name, or a job
    /// that read another input's pixels, cannot pass as right.
    static func makeDistinctFolder(count: Int) throws -> URL {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("in")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let photo = try ImageDecoder.decode(path: CLI.fixture("ok/photo.png").path)
        for i in 0..<count {
            let (w, h) = (40 + i % 5, 30 + i % 7)
            let (x0, y0) = (i % (photo.width - w + 1), (i * 3) % (photo.height - h + 1))
            var samples: [Float] = []
            for y in 0..<h { for x in 0..<w {
                let sx = i % 2 == 0 ? x0 + x : x0 + w - 1 - x
                for c in 0..<3 { samples.append(photo.samples[((y0 + y) * photo.width + sx) * 3 + c]) }
            } }
            let image = Image(width: w, height: h, channels: 3, bitDepth: 8, samples: samples)
            try ImageEncoder.write(image, as: .png(depth: 8), to: dir.appendingPathComponent(String(format: "img%03d.png", i)).path)
        }
        return dir
    }

    /// Each output of a batch, serial or with two workers, is byte for byte what featmap writes
    /// for its own input alone; the inputs all differ (see makeDistinctFolder), so a job that took
    /// another input or wrote under another name fails here.
    @Test(arguments: ["1", "2"])
    func batchOutputsEqualEachInputsOwnRun(jobs: String) throws {
        let count = 12
        let input = try Self.makeDistinctFolder(count: count)
        let base = input.deletingLastPathComponent()
        let out = base.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try CLI.run(["apply", "gaussian:2", input.path, "--out-dir", out.path, "-j", jobs, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = (0..<count).map { String(format: "img%03d", $0) }
        #expect(try Self.files(in: out) == names.map { "\($0)-gaussian-2.png" })
        var distinct = Set<Data>()
        for name in names {
            let alone = try CLI.run(["apply", "gaussian:2", input.appendingPathComponent("\(name).png").path, "-o", "-"])
            #expect(alone.status == 0, "\(alone.stderr)")
            let batchFile = out.appendingPathComponent("\(name)-gaussian-2.png")
            let aloneFile = base.appendingPathComponent("\(name)-alone.png")
            try alone.stdout.write(to: aloneFile)
            try CLI.expectSamePicture(batchFile.path, aloneFile.path, "\(name)")
            distinct.insert(alone.stdout)
        }
        #expect(distinct.count == count, "the inputs should all differ")
    }

    /// The same for `pool` and `layers` with two workers: each input's outputs equal its own run.
    @Test(arguments: ["pool", "layers"])
    func otherBatchOutputsEqualEachInputsOwnRun(command: String) throws {
        let count = 6
        let input = try Self.makeDistinctFolder(count: count)
        let base = input.deletingLastPathComponent()
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples").standardized
        let lenet = samples.appendingPathComponent("lenet.weights").path
        func run(_ inputs: [String], into out: URL, jobs: String) throws -> CLIResult {
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            return try CLI.run(command == "pool"
                ? ["pool"] + inputs + ["--out-dir", out.path, "-j", jobs]
                : ["layers", lenet] + inputs + ["-o", out.path, "-j", jobs, "--npy", "--no-images"])
        }
        let batchOut = base.appendingPathComponent("batch")
        let r = try run([input.path], into: batchOut, jobs: "2")
        #expect(r.status == 0, "\(r.stderr)")
        for i in 0..<count {
            let name = String(format: "img%03d", i)
            let aloneOut = base.appendingPathComponent("alone\(i)")
            let a = try run([input.appendingPathComponent("\(name).png").path], into: aloneOut, jobs: "1")
            #expect(a.status == 0, "\(a.stderr)")
            let made = try Self.files(in: aloneOut)
            #expect(command == "layers" || made.count == 1)
            // layers writes a single input's files into -o itself, a batch's into -o/STEM-layers.
            for entry in command == "layers" ? ["\(name)-layers"] : made {
                let alone = command == "layers" ? aloneOut : aloneOut.appendingPathComponent(entry)
                let batch = batchOut.appendingPathComponent(entry)
                if command == "layers" {
                    let files = try Self.files(in: alone).filter { $0.hasSuffix(".npy") }
                    #expect(!files.isEmpty)
                    #expect(try Self.files(in: batch).filter { $0.hasSuffix(".npy") } == files)
                    for f in files {
                        #expect(try Data(contentsOf: batch.appendingPathComponent(f)) == Data(contentsOf: alone.appendingPathComponent(f)),
                                "\(entry)/\(f)")
                    }
                } else {
                    try CLI.expectSamePicture(batch.path, alone.path, entry)
                }
            }
        }
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

    /// Ten copies of a 1000×1000 photo made by tiling the committed crop: each takes long enough
    /// to filter and encode that its temporary output file can be seen in the folder.
    static func makeLargeFolder(count: Int = 10) throws -> URL {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("in")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let photo = try ImageDecoder.decode(path: CLI.fixture("ok/photo.png").path)
        let side = 1000
        var samples = [Float](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in 0..<side { for c in 0..<3 {
            samples[(y * side + x) * 3 + c] = photo.samples[((y % photo.height) * photo.width + x % photo.width) * 3 + c]
        } } }
        let first = dir.appendingPathComponent("big000.png")
        try ImageEncoder.write(Image(width: side, height: side, channels: 3, bitDepth: 8, samples: samples), as: .png(depth: 8), to: first.path)
        for i in 1..<count { try FileManager.default.copyItem(at: first, to: dir.appendingPathComponent(String(format: "big%03d.png", i))) }
        return dir
    }

    /// Ctrl-C (SIGINT) and kill (SIGTERM) stop promptly with a message, exit 128 + the signal, and
    /// leave only complete outputs. The signal is sent once the first output is complete, so that
    /// others are being written (as unnamed files, which vanish; OutputFile's tests cover the
    /// named fallback, whose files the stop removes).
    @Test(arguments: [SIGINT, SIGTERM])
    func signalStopsPromptlyAndCleansUp(signal: Int32) throws {
        let input = try Self.makeLargeFolder()
        let out = input.deletingLastPathComponent().appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["apply", "gaussian:3", input.path, "--out-dir", out.path, "-j", "2", "--quiet"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        // Wait for the first output: the batch is then writing the next ones.
        var sawOutput = false
        let deadline = Date().addingTimeInterval(30)
        while p.isRunning && Date() < deadline {
            if try !Self.files(in: out).filter({ !$0.hasPrefix(".") }).isEmpty {
                sawOutput = true
                break
            }
            usleep(500)
        }
        try #require(sawOutput, "no output appeared while the batch ran")
        let sent = Date()
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 2)
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 128 + signal)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains(signal == SIGINT ? "interrupted" : "stopped by a signal"), "\(message)")
        #expect(message.contains("no partial output left behind"), "\(message)")
        let left = try Self.files(in: out)
        #expect(left.filter { $0.hasPrefix(".") }.isEmpty, "temporary files left behind: \(left)")
        #expect(left.count < 10, "the batch finished before the signal")
        for name in left {
            let bytes = [UInt8](try Data(contentsOf: out.appendingPathComponent(name)))
            #expect(throws: Never.self) { _ = try ImageDecoder.decode(bytes, source: name) }
        }
    }

    /// Peak memory of predict does not grow with the number of files: 4,000 inputs peak within
    /// 8 MiB of 1,000 (2.8 KB kept per file would fail it). The peak is the child's own high-water
    /// mark (VmHWM, monotonic), read from /proc while it runs. Not 200 against 2,000: under
    /// AddressSanitizer (the README's test command) the allocator's own warm-up alone grows the peak by
    /// 6–7 MiB between those, and by 3–5 MiB between 1,000 and 4,000, where a plain build grows by
    /// about 1 MiB.
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
            p.environment = CLI.peakMemoryEnvironment
            try p.run()
            var highest = 0
            while p.isRunning {
                // POSIX reads, not String(contentsOfFile:): Foundation leaks its buffer when the read
                // fails because the child has just exited (LeakSanitizer reported it).
                if let status = Self.procStatus(p.processIdentifier),
                   let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                   let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
                    highest = max(highest, kib)
                }
                usleep(2_000)
            }
            #expect(p.terminationStatus == 0)
            return highest
        }
        let small = try peak(of: 1000)
        let large = try peak(of: 4000)
        #expect(small > 0 && large > 0)
        #expect(large <= small + 8 * 1024, "peak grew from \(small) KiB to \(large) KiB")
    }

    /// /proc/PID/status, or nil once the process is gone.
    static func procStatus(_ pid: Int32) -> String? {
        let fd = open("/proc/\(pid)/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
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
