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

    @Test func failureKeepsTheOldFileAndRemovesTheTemporaryOne() throws {
        let folder = try CodecFixture.temporaryFolder()
        let path = folder + "/keep.txt"
        try OutputFile.write(to: path) { file in fputs("old", file) }
        #expect(throws: Planned.self) {
            try OutputFile.write(to: path) { file in
                fputs("new and partial", file)
                #expect(Self.entries(folder).contains { $0.hasPrefix(".keep.txt.featmap-") })
                throw Planned()
            }
        }
        #expect(Self.entries(folder) == ["keep.txt"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    }

    @Test func pendingTemporaryFilesCanBeRemovedFromOutside() throws {
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
