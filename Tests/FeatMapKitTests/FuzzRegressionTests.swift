import Foundation
import Testing
@testable import FeatMapKit

/// Inputs the libFuzzer harnesses (Tests/fuzz, docs/fuzzing.md) found to crash, hang or leak, kept in
/// Fixtures/fuzz: each must now be refused with one clear error.
@Suite struct FuzzRegressionTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/fuzz/" + name, withExtension: nil), "missing fixture \(name)")
    }

    /// An empty model file: Foundation's Data(contentsOf:) leaked 4 KB on it (LeakSanitizer, onnx harness).
    /// It is now refused before it is read, naming the file and what would work.
    @Test func emptyModelFileIsRefusedBeforeReading() throws {
        let url = try Self.fixture("empty.onnx")
        #expect(try Data(contentsOf: url).isEmpty)
        do {
            _ = try Model.load(contentsOf: url)
            Issue.record("an empty file loaded as a model")
        } catch let error as ModelError {
            #expect(error == .unreadable(file: url.path, reason: "the file is empty (0 bytes); give an ONNX model (.onnx) or a featmap .weights file"))
            #expect(!error.description.contains("\n"))
        }
    }
}
