import Foundation
import Testing

/// oneDNN (libdnnl, and libgomp with it) is opened on the first matrix product, not at process start
/// (Sources/CDNNL): `--version` maps neither, a model run maps both and works, and a library that cannot
/// be opened is one line naming the package.
@Suite struct OneDNNLoadingTests {
    /// The binary with the dynamic loader reporting every file it opens (LD_DEBUG=files) on stderr.
    static func traced(_ arguments: [String], in dir: URL? = nil, extra: [String: String] = [:]) throws -> CLIResult {
        var env = ProcessInfo.processInfo.environment
        env["LD_DEBUG"] = "files"
        for (k, v) in extra { env[k] = v }
        return try CLI.run(arguments, in: dir, environment: env)
    }

    @Test func versionLoadsNeitherLibdnnlNorLibgomp() throws {
        let r = try Self.traced(["--version"])
        #expect(r.status == 0)
        // The trace itself must be there, or the check below could not fail.
        #expect(r.stderr.contains("file=libc.so.6"), "no loader trace: \(r.stderr.prefix(500))")
        #expect(!r.stderr.contains("libdnnl"), "\(r.stderr)")
        #expect(!r.stderr.contains("libgomp"), "\(r.stderr)")
    }

    @Test func executableDoesNotLinkOneDNN() throws {
        let r = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/ldd"), [CLI.binary.path])
        #expect(r.status == 0 && r.stdoutText.contains("libc.so"), "\(r.stderr)")
        #expect(!r.stdoutText.contains("libdnnl") && !r.stdoutText.contains("libgomp"), "\(r.stdoutText)")
    }

    @Test func modelRunOpensItAndWorks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.traced(["predict", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png")], in: dir)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        #expect(r.stderr.contains("libdnnl.so") && r.stderr.contains("dynamically loaded by"), "libdnnl not opened")
        #expect(r.stderr.contains("libgomp"), "libgomp not loaded with libdnnl")
        // The prediction itself: the same as without the trace.
        let plain = try CLI.run(["predict", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png")], in: dir)
        #expect(plain.status == 0 && !plain.stdoutText.isEmpty && plain.stdoutText == r.stdoutText)
    }

    @Test func libraryThatCannotBeOpenedIsOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ProcessInfo.processInfo.environment
        env["FEATMAP_DNNL"] = dir.appendingPathComponent("libdnnl-missing.so").path
        let r = try CLI.run(["predict", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png")], in: dir, environment: env)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("libdnnl-missing.so") && r.stderr.contains("libdnnl-dev"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        // FEATMAP_DNNL naming the real library works.
        env["FEATMAP_DNNL"] = "libdnnl.so"   // libdnnl-dev's link to the library
        let ok = try CLI.run(["predict", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png")], in: dir, environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
