import Foundation
import Testing
@testable import FeatMapKit

/// Kernel files written by hand in Fixtures/filters/kernels; the expected errors quote the line
/// that is wrong in each file.
@Suite struct KernelParserTests {
    static func path(_ name: String) -> String { FilterFixtures.url("kernels/" + name).path }

    @Test func textFileWithHeadersCommentsAndCommas() throws {
        let filter = try KernelLibrary.resolve(Self.path("box3-scaled.txt"))
        let k = try #require(filter.kernels.first)
        #expect(k.name == "box3")
        #expect(k.width == 3 && k.height == 3)
        #expect(k.values == [Float](repeating: 1 / 9, count: 9))
        #expect(k.offset == 10)
        #expect(k.anchor == nil)
        #expect(filter.defaultMode == .clamp)
    }

    @Test func anchorHeaderIsRowThenColumn() throws {
        let k = try #require(try KernelLibrary.resolve(Self.path("anchor.txt")).kernels.first)
        #expect(k.anchor == Pair(0, 2))
        #expect(k.values == [1, 2, 0, -1, 0, 3, 0, -2, 1])
        #expect(k.name == "asym-anchored")
    }

    @Test func libvipsMatrixFile() throws {
        let filter = try KernelLibrary.resolve(Self.path("sobel4.mat"))
        let k = try #require(filter.kernels.first)
        #expect(k.name == "sobel4")
        #expect(k.values == [-0.25, 0, 0.25, -0.5, 0, 0.5, -0.25, 0, 0.25])
        #expect(k.offset == 128)
        #expect(filter.defaultMode == .abs)  // sums to 0
    }

    @Test func inlineSpecIsRowsByColumns() throws {
        let k = try #require(try KernelLibrary.resolve("2x3: 1 2 3 4 5 6").kernels.first)
        #expect(k.height == 2 && k.width == 3)
        #expect(k[1, 0] == 4)
        #expect(try KernelLibrary.resolve(" 3x3: 0 -1 0 -1 5 -1 0 -1 0").kernels[0].values == Kernel.sharpen.values)
    }

    @Test(arguments: [
        ("bad-row.txt", "line 3: row has 2 numbers, rows above have 3"),
        ("bad-number.txt", "line 3: 'five' is not a number"),
        ("bad-header.txt", "line 3: unknown header 'sclae'"),
        ("bad-anchor.txt", "line 4: anchor 3,1 lies outside the 3×3 kernel"),
        ("bad-scale.txt", "line 1: scale must be a non-zero number"),
        ("empty.txt", ": no rows of numbers"),
        ("too-many-rows.mat", "line 4: the header declares 2 rows"),
        ("short-row.mat", "line 3: row has 2 numbers, the header declares width 3"),
        ("missing-rows.mat", ": the header declares 3 rows of 3 numbers, the file has 1"),
        ("bad-header.mat", "line 1: the first line of a .mat file must be 'WIDTH HEIGHT [SCALE [OFFSET]]'"),
    ])
    func malformedFilesNameTheirLine(file: String, message: String) {
        let path = Self.path(file)
        do {
            _ = try KernelLibrary.resolve(path)
            Issue.record("\(file) parsed without error")
        } catch let error as KernelError {
            #expect(error.description.hasPrefix(path + (message.hasPrefix(":") ? "" : " ")))
            #expect(error.description.contains(message), "\(error.description)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func messageFormatMatchesTheIssue() throws {
        let e = #expect(throws: KernelError.self) {
            try KernelParser.parseText("1 2 3\n# c\n4 5\n", file: "kernels/bad.txt")
        }
        #expect(e?.description == "kernels/bad.txt line 3: row has 2 numbers, rows above have 3")
    }

    @Test(arguments: ["3x3: 1 2 3", "2x2: 1 2 x 4", "0x3: ", "2x2: 1 nan 3 4"])
    func badInlineSpecs(spec: String) {
        #expect(throws: KernelError.self) { try KernelLibrary.resolve(spec) }
    }

    @Test func missingFileIsAnError() {
        let e = #expect(throws: KernelError.self) { try KernelLibrary.resolve("no/such/kernel.txt") }
        #expect(e?.description.contains("no kernel file at no/such/kernel.txt") == true)
    }

    /// kernels/*.txt in the repository are the built-ins' matrices, written out for users to copy.
    @Test func repositoryKernelFilesMatchBuiltins() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kernels").path
        let files = KernelLibrary.fileKernels(in: root)
        #expect(files.count >= 13)
        for name in ["identity", "sharpen", "sobel-x", "sobel-y", "scharr-x", "scharr-y", "prewitt-x", "prewitt-y",
                     "laplacian", "laplacian8", "emboss", "edge", "vertical-line"] {
            let path = root + "/" + name + ".txt"
            #expect(files.contains(path), "missing \(path)")
            let fromFile = try KernelLibrary.resolve(path).kernels[0]
            let builtin = try KernelLibrary.resolve(name).kernels[0]
            #expect(fromFile.values == builtin.values && fromFile.width == builtin.width, "\(name)")
            #expect(fromFile.name == name)
        }
    }
}
