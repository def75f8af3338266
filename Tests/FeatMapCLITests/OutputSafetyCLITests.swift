import FeatMapKit
import Foundation
import Testing

/// Outputs are complete or absent: after `kill -9` at any moment, under two writers at once, and
/// `--out-dir` made when it does not exist yet.
@Suite struct OutputSafetyCLITests {
    static let pngEnd: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    /// Whether a file is a whole PNG: the signature and, last, the IEND chunk.
    static func isCompletePNG(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count > 20 else { return false }
        return data.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && data.suffix(12).elementsEqual(pngEnd)
    }

    /// Noise pictures (they compress badly, so encoding them takes a while), `count` of `side`².
    static func noiseInputs(_ dir: URL, prefix: String, count: Int, side: Int) throws {
        var state: UInt32 = 12345
        for i in 0..<count {
            let samples = (0..<(side * side * 3)).map { _ -> Float in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 24)
            }
            let image = Image(width: side, height: side, channels: 3, bitDepth: 8, samples: samples)
            try ImageEncoder.write(image, as: .png(depth: 8), to: dir.appendingPathComponent(String(format: "%@-%03d.png", prefix, i)).path)
        }
    }

    @Test(arguments: [0.3, 0.8, 1.5])
    func killNineLeavesOnlyCompleteOutputs(after seconds: Double) throws {
        let dir = try CLI.temporaryDirectory()
        let inputs = dir.appendingPathComponent("in"), out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try Self.noiseInputs(inputs, prefix: "p", count: 6, side: 900)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["apply", "gaussian:3", inputs.path, "--out-dir", out.path, "-j", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: seconds)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        #expect(!files.contains { $0.hasPrefix(".") }, "temporary files left: \(files)")
        for f in files { #expect(Self.isCompletePNG(out.appendingPathComponent(f).path), "\(f) is not a whole PNG") }
    }

    /// Two featmap processes writing 200 files each into one folder at once, a reader polling it: every
    /// file it ever sees is a whole PNG, no temporary file is ever visible, and all 400 arrive.
    @Test func twoWritersAndAPollingReader() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("out")
        var processes: [Process] = []
        for prefix in ["a", "b"] {
            let inputs = dir.appendingPathComponent(prefix)
            try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
            try Self.noiseInputs(inputs, prefix: prefix, count: 200, side: 12)
        }
        for prefix in ["a", "b"] {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["apply", "sobel", dir.appendingPathComponent(prefix).path, "--out-dir", out.path, "-j", "2"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            processes.append(p)
        }
        for p in processes { try p.run() }
        var complete = Set<String>(), incomplete: [String] = [], hidden = Set<String>(), polls = 0
        func poll() {
            polls += 1
            for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] where !complete.contains(name) {
                if name.hasPrefix(".") { hidden.insert(name); continue }
                if Self.isCompletePNG(out.appendingPathComponent(name).path) { complete.insert(name) } else { incomplete.append(name) }
            }
        }
        while processes.contains(where: \.isRunning) { poll() }
        poll()
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        #expect(incomplete.isEmpty && hidden.isEmpty, "half-written: \(incomplete.prefix(5)), temporaries: \(hidden.prefix(5))")
        #expect(complete.count == 400 && polls > 10)
    }

    @Test func outDirIsMadeWithItsParents() throws {
        let dir = try CLI.temporaryDirectory()
        let nested = dir.appendingPathComponent("a/b/c")
        let r = try CLI.run(["apply", "sobel", ModelCommandTests.sample("digit.png"), "--out-dir", nested.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: nested.path) == ["digit-sobel.png"])
        let rf = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                              "--layer", "conv1", "--out-dir", dir.appendingPathComponent("rf/pictures").path])
        #expect(rf.status == 0, "\(rf.stderr)")
        // A file where the folder should be: one line naming it.
        let file = dir.appendingPathComponent("a/b/c/digit-sobel.png")
        let bad = try CLI.run(["apply", "sobel", ModelCommandTests.sample("digit.png"), "--out-dir", file.path])
        #expect(bad.status != 0 && bad.stderr.contains("it is a file, not a folder") && bad.stderr.split(separator: "\n").count == 1,
                "\(bad.stderr)")
    }
}
