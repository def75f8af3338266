import FeatMapKit
import Foundation
import Testing

/// Runs the built `featmap` binary as a user would and captures what it prints.
struct CLIResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

enum CLI {
    /// The `featmap` executable beside this test bundle in the build folder.
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("featmap")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        // swift test puts test bundles and products in the same folder (.build/debug).
        let env = ProcessInfo.processInfo.environment["FEATMAP_BINARY"]
        return URL(fileURLWithPath: env ?? ".build/debug/featmap")
    }

    static func run(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> CLIResult {
        try run(executable: binary, arguments, stdin: stdin, in: directory, environment: environment)
    }

    /// Runs any program (featmap itself, or featmap under GNU time) and collects its exit status and output;
    /// `environment` nil inherits this process's.
    static func run(executable: URL, _ arguments: [String], stdin: Data? = nil, in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a large output cannot block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The environment for a child whose peak memory a test measures. Under AddressSanitizer
    /// (.ci/sanitize sets ASAN_OPTIONS) the quarantine keeps up to 256 MB of freed blocks out of use, to
    /// catch use after free, so a child's peak would grow with everything it frees; the measured child
    /// runs without the quarantine (its other checks, leaks included, stay on).
    static var peakMemoryEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let asan = env["ASAN_OPTIONS"] {
            env["ASAN_OPTIONS"] = asan + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        }
        return env
    }

    /// A fresh empty folder for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Two runs' PNG of one picture (a batch's against the file's own run): the pixels must be equal, and
    /// the bytes should be.
    ///
    /// Known, not fixed: under heavy load (the full suite on two cores), PNG files of identical pixels
    /// have now and then come out with different bytes. In the one caught, the second of an 805×956 `pool`
    /// picture's five segments came out of ISA-L's level-1 deflate with a different, equally valid choice of
    /// matches (19,754 bytes against 19,753), though the filtered bytes given to it were identical; a
    /// harness feeding ISA-L the same segments from three threads in three processes never reproduced it.
    /// A LeNet `layers` grid (18,917 bytes) did the same once. So equal bytes are checked as an
    /// intermittent known issue, equal pixels as a hard expectation.
    static func expectSamePicture(_ batch: String, _ alone: String, _ label: String) throws {
        let (b, a) = (try Data(contentsOf: URL(fileURLWithPath: batch)), try Data(contentsOf: URL(fileURLWithPath: alone)))
        if b == a { return }
        let why = try pixelDifference(batch, alone)
        #expect(why == equalPixels, "\(label): \(why)")
        withKnownIssue("\(label): same pixels, different PNG bytes (ISA-L's choice of matches)", isIntermittent: true) {
            #expect(b == a)
        }
    }

    static let equalPixels = "the bytes differ but every pixel is equal"

    /// When two PNG files differ, whether their pixels do too (and where): says whether a failure is in the
    /// picture or only in its compressed stream.
    static func pixelDifference(_ a: String, _ b: String) throws -> String {
        let x = try ImageDecoder.decode(path: a), y = try ImageDecoder.decode(path: b)
        guard x.width == y.width, x.height == y.height, x.channels == y.channels else {
            return "sizes differ: \(x.width)×\(x.height)×\(x.channels) against \(y.width)×\(y.height)×\(y.channels)"
        }
        let differing = zip(x.samples, y.samples).enumerated().filter { $0.element.0 != $0.element.1 }
        guard let first = differing.first else { return equalPixels }
        let pixel = first.offset / x.channels
        return "\(differing.count) samples differ, the first at x \(pixel % x.width), y \(pixel / x.width): "
            + "\(first.element.0) against \(first.element.1)"
    }

    /// A committed fixture of this test target.
    static func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }
}

@Suite struct VersionTests {
    @Test func versionPrintsAndExitsZero() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdoutText.split(separator: ".").count == 3)
    }
}
