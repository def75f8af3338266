import FeatMapKit
import Foundation
import Testing

/// Every bad input of the foundation issue: one clear line on standard error, a non-zero
/// exit, no crash, and no output file left behind.
@Suite struct BadInputTests {
    static let files = ["not-an-image.txt", "empty.png", "truncated.png", "bad-crc.png", "no-idat.png",
                        "truncated.jpg", "bad-huffman.jpg", "huge-header.png", "huge-header.jpg"]

    static func folderIsEmpty(_ dir: URL) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty
    }

    @Test(arguments: files)
    func corruptFileFailsCleanly(name: String) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("out.png")
        let r = try CLI.run(["apply", "sobel", CLI.fixture("bad/\(name)").path, "-o", out.path])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(name))
        #expect(try Self.folderIsEmpty(dir), "a failed run left files behind")
    }

    @Test func unknownKernelSuggestsTheNearest() throws {
        let r = try CLI.run(["apply", "sobol", CLI.fixture("tiny4x4.png").path, "-o", "/tmp/never.png"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("sobel"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func malformedKernelFileNamesTheLine() throws {
        let dir = try CLI.temporaryDirectory()
        let kernel = dir.appendingPathComponent("bad.txt")
        try "# a broken kernel\n1 2 3\n4 5\n7 8 9\n".write(to: kernel, atomically: true, encoding: .utf8)
        let r = try CLI.run(["apply", kernel.path, CLI.fixture("tiny4x4.png").path, "-o", dir.appendingPathComponent("o.png").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("line 3"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.png").path))
    }

    @Test func kernelLargerThanThePaddedImage() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["apply", "box:9", CLI.fixture("tiny4x4.png").path, "--padding", "valid", "-o", dir.appendingPathComponent("o.png").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("9×9"), "\(r.stderr)")
        #expect(try Self.folderIsEmpty(dir))
    }

    @Test(arguments: [["--stride", "0"], ["--dilation", "0"], ["--stride", "1,0"], ["--padding", "wide"], ["--depth", "12"]])
    func impossibleOptionIsAUsageError(option: [String]) throws {
        let r = try CLI.run(["apply", "sobel", CLI.fixture("tiny4x4.png").path, "-o", "/tmp/never.png"] + option)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test func outputFolderThatDoesNotExist() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["apply", "sobel", CLI.fixture("tiny4x4.png").path, "-o", dir.appendingPathComponent("nope/o.png").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nope"))
        // --out-dir, unlike -o's folder, is made (with its parents) when it does not exist.
        let r2 = try CLI.run(["apply", "sobel", CLI.fixture("tiny4x4.png").path, "--out-dir", dir.appendingPathComponent("nope").path])
        #expect(r2.status == 0 && FileManager.default.fileExists(atPath: dir.appendingPathComponent("nope/tiny4x4-sobel.png").path))
    }

    // Root may write anywhere, so "not writable" is made with a parent that is a file.
    @Test func outputFolderThatIsNotWritable() throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        let r = try CLI.run(["apply", "sobel", CLI.fixture("tiny4x4.png").path, "-o", file.appendingPathComponent("o.png").path])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func neverOverwritesAnInput() throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("in.png")
        try FileManager.default.copyItem(at: CLI.fixture("tiny4x4.png"), to: input)
        let before = try Data(contentsOf: input)
        let r = try CLI.run(["apply", "sobel", input.path, "-o", input.path])
        #expect(r.status == 1)
        #expect(try Data(contentsOf: input) == before)
    }

    /// util-linux's `script` (Debian's essential bsdutils) gives the binary a terminal as standard output.
    @Test func binaryIsNotWrittenToATerminalByAccident() throws {
        let command = "'\(CLI.binary.path)' apply sobel '\(CLI.fixture("tiny4x4.png").path)' -o -"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", command, "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(text.contains("refusing to write binary png data to a terminal"))
        #expect(!text.contains("PNG"), "PNG bytes reached the terminal")
        // -o - with several inputs is a usage error.
        let r = try CLI.run(["apply", "sobel", CLI.fixture("tiny4x4.png").path, CLI.fixture("ok/photo.png").path, "-o", "-"])
        #expect(r.status == 64)
    }
}
