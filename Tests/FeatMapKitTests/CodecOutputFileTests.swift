import Foundation
import Testing
@testable import FeatMapKit

/// Atomic output files, input files and write failures. Serialized: removePendingTemporaryFiles
/// is process-wide, so it would also remove the temporary files of a concurrent test.
@Suite(.serialized) struct CodecOutputFileTests {
    struct Planned: Error {}

    static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test func writesAtomicallyAndLeavesNoTemporaryFile() throws {
        let folder = try CodecFixture.temporaryFolder()
        let image = try CodecFixture.decode("png/rgba8.png")
        let path = folder + "/out.png"
        try ImageEncoder.write(image, as: .png(depth: 8), to: path)
        #expect(Self.entries(folder) == ["out.png"])
        #expect(try ImageDecoder.decode(path: path) == image)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        let mask = umask(0o022); umask(mask)
        #expect(mode == 0o666 & ~Int(mask))
    }

    /// With O_TMPFILE (the default on Linux) a file being written has no name at all: nothing shows in
    /// the folder until it is complete, a new file then appears under its name, an old one is replaced.
    @Test func unnamedFilesAreInvisibleUntilComplete() throws {
        let folder = try CodecFixture.temporaryFolder()
        let path = folder + "/new.txt"
        try OutputFile.write(to: path) { file in
            fputs("complete", file)
            #expect(Self.entries(folder).isEmpty)
        }
        #expect(Self.entries(folder) == ["new.txt"])
        try OutputFile.write(to: path) { file in
            fputs("replaced", file)
            #expect(Self.entries(folder) == ["new.txt"])
            let before = try? String(contentsOfFile: path, encoding: .utf8)
            #expect(before == "complete")
        }
        #expect(Self.entries(folder) == ["new.txt"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "replaced")
    }

    @Test(arguments: [true, false])
    func failureKeepsTheOldFileAndLeavesNoTemporaryOne(unnamed: Bool) throws {
        OutputFile.usesUnnamedFiles = unnamed
        defer { OutputFile.usesUnnamedFiles = true }
        let folder = try CodecFixture.temporaryFolder()
        let path = folder + "/keep.txt"
        try OutputFile.write(to: path) { file in fputs("old", file) }
        #expect(throws: Planned.self) {
            try OutputFile.write(to: path) { file in
                fputs("new and partial", file)
                // The fallback's hidden name carries the writer's PID, for the stale-file clean-up.
                let hidden = Self.entries(folder).filter { $0.hasPrefix(".keep.txt.featmap-\(getpid())-") }
                #expect(hidden.count == (unnamed ? 0 : 1))
                throw Planned()
            }
        }
        #expect(Self.entries(folder) == ["keep.txt"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    }

    @Test func pendingTemporaryFilesCanBeRemovedFromOutside() throws {
        OutputFile.usesUnnamedFiles = false
        defer { OutputFile.usesUnnamedFiles = true }
        let folder = try CodecFixture.temporaryFolder()
        let error = try #require(throws: CodecError.self) {
            try OutputFile.write(to: folder + "/interrupted.png") { file in
                fputs("partial", file)
                OutputFile.removePendingTemporaryFiles()  // what the SIGINT handler does
                #expect(Self.entries(folder).isEmpty)
            }
        }
        #expect(error.kind == .writeFailed)
        #expect(Self.entries(folder).isEmpty)
    }

    /// Hidden temporaries of featmap processes that no longer run are removed by the first write into
    /// their folder; those of a live process, other hidden files and other names are kept.
    @Test func staleTemporariesOfDeadProcessesAreRemoved() throws {
        let folder = try CodecFixture.temporaryFolder()
        // A PID that is not alive: the first, counting down from the top of the default range, that kill(2) reports as gone.
        let dead = try #require((Int32(4_000_000)...Int32(4_190_000)).reversed().first { kill($0, 0) != 0 && errno == ESRCH })
        let alive = getppid()
        let names = [".a.png.featmap-\(dead)-x1y2z3", ".b.png.featmap-\(alive)-x1y2z3", ".c.png.featmap-ABC123",
                     ".hidden-notes", "d.png.featmap-\(dead)-x1y2z3"]
        for n in names { FileManager.default.createFile(atPath: folder + "/" + n, contents: Data("x".utf8)) }
        try OutputFile.write(to: folder + "/out.txt") { file in fputs("done", file) }
        #expect(Self.entries(folder) == (names.dropFirst() + ["out.txt"]).sorted())
    }

    @Test func missingFolderAndFullDiskAreWriteErrors() throws {
        let missing = try #require(throws: CodecError.self) { try OutputFile.write(to: "/nonexistent-featmap/x.png") { _ in } }
        #expect(missing.kind == .writeFailed && missing.description.contains("/nonexistent-featmap/"))
        let image = try CodecFixture.decode("png/rgb8.png")
        for format in [OutputFormat.png(depth: 8), .jpeg(quality: 90), .npy] {
            let full = try #require(fopen("/dev/full", "wb"))
            defer { fclose(full) }
            let error = try #require(throws: CodecError.self) {
                try ImageEncoder.encode(image, as: format, to: full, destination: "full.png")
            }
            #expect(error.kind == .writeFailed, "\(format): \(error)")
        }
        // A read-only stream makes libpng's own fwrite fail, inside the shim's longjmp.
        let readOnly = try #require(fopen("/dev/null", "rb"))
        defer { fclose(readOnly) }
        let error = try #require(throws: CodecError.self) {
            try ImageEncoder.encode(image, as: .png(depth: 8), to: readOnly, destination: "ro.png")
        }
        #expect(error.kind == .writeFailed)
    }

    @Test func inputFilesNameThePathInErrors() throws {
        let missing = try #require(throws: CodecError.self) { try InputFile.read("/nonexistent-featmap/photo.png") }
        #expect(missing.description == "/nonexistent-featmap/photo.png: no such file; check the path")
        let folder = try CodecFixture.temporaryFolder()
        let isFolder = try #require(throws: CodecError.self) { try InputFile.read(folder) }
        #expect(isFolder.kind == .unreadable && isFolder.description.contains("folder"))
        let url = try CodecFixture.url("png/grey4.png")
        #expect(try InputFile.read(url.path) == [UInt8](Data(contentsOf: url)))
    }

    @Test func invalidWriterArgumentsAreRejected() throws {
        _ = try CodecFixture.withTemporaryFile { file in
            for (w, h, c, format) in [(0, 5, 3, OutputFormat.png(depth: 8)), (5, 5, 5, .png(depth: 8)),
                                      (5, 5, 3, .png(depth: 12)), (5, 5, 3, .jpeg(quality: 101))] {
                let error = try #require(throws: CodecError.self) {
                    try ImageWriter(file: file, width: w, height: h, channels: c, format: format, destination: "bad")
                }
                #expect(error.kind == .invalidArgument)
            }
        }
    }
}
