import FeatMapKit
import Foundation
import Testing

/// Shell completions and the committed man page, through the real binary.
@Suite struct CompletionTests {
    static func script(_ shell: String) throws -> String {
        let r = try CLI.run(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(shell): \(r.stderr)")
        return r.stdoutText
    }

    @Test func scriptsOfTheThreeShellsNameTheKernelsColormapsAndNorms() throws {
        for shell in ["bash", "zsh", "fish"] {
            let text = try Self.script(shell)
            for word in KernelLibrary.builtins.map(\.name) + Colormap.names + ["fixed:"] {
                #expect(text.contains(word), "\(shell) script lacks \(word)")
            }
            // Layer names come from the binary at completion time.
            #expect(text.contains("---completion layers -- --layers"), "\(shell)")
        }
    }

    static let lenet = ModelCommandTests.sample("lenet.weights")
    /// samples/lenet.weights's 13 nodes (its architecture JSON: Conv Relu MaxPool twice, Reshape, Gemm
    /// Relu twice, Gemm, Softmax; the folded Constant is gone), named by the readable-name rule of
    /// `featmap layers --help`: a short operator name + count for unnamed nodes, the graph output for the last.
    static let lenetLayers = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "reshape1", "fc1", "relu3", "fc2", "relu4", "fc3",
                              "output_0"]

    /// The call the generated scripts make for a custom completion:
    /// featmap ---completion SUBCOMMAND -- OPTION WORD-INDEX CURSOR-INDEX WORDS….
    @Test func theLayerCompletionListsTheModelsLayers() throws {
        let words = ["featmap", "layers", Self.lenet, "samples/digit.png", "--upto", ""]
        let r = try CLI.run(["---completion", "layers", "--", "--upto", "5", "0"] + words)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let names = r.stdoutText.split(separator: "\n").map(String.init)
        #expect(names == Self.lenetLayers, "\(names)")

        // --layers completes the name after the last comma.
        let list = try CLI.run(["---completion", "layers", "--", "--layers", "4", "8",
                                "featmap", "layers", Self.lenet, "--layers", "conv1,re"])
        #expect(list.stdoutText.split(separator: "\n") == ["conv1,relu1", "conv1,relu2", "conv1,reshape1", "conv1,relu3", "conv1,relu4"],
                "\(list.stdoutText)")

        // rf and filters too; no model yet or an unreadable one: nothing, silently.
        let rf = try CLI.run(["---completion", "rf", "--", "--layer", "3", "4", "featmap", "rf", Self.lenet, "--layer", "pool"])
        #expect(rf.stdoutText.split(separator: "\n") == ["pool1", "pool2"])
        let bad = try CLI.run(["---completion", "filters", "--", "--layer", "3", "0", "featmap", "filters",
                               CLI.fixture("models/header-past-end.weights").path, "--layer", ""])
        #expect(bad.status == 0 && bad.stdoutText.isEmpty && bad.stderr.isEmpty, "\(bad.stdoutText) \(bad.stderr)")
        let none = try CLI.run(["---completion", "rf", "--", "--layer", "2", "0", "featmap", "rf", "--layer", ""])
        #expect(none.status == 0 && none.stdoutText.isEmpty && none.stderr.isEmpty)
    }

    /// The bash script itself, as bash runs it on Tab: COMP_WORDS, COMP_CWORD, then _featmap.
    @Test func bashCompletesKernelsAndLayerNames() throws {
        let dir = try CLI.temporaryDirectory()
        let script = dir.appendingPathComponent("featmap.bash")
        try Self.script("bash").write(to: script, atomically: true, encoding: .utf8)
        let driver = """
            source "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _featmap featmap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        func complete(_ words: [String]) throws -> [String] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", driver, "bash", script.path, CLI.binary.path] + words
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        #expect(try complete(["apply", "sob"]) == ["sobel", "sobel-x", "sobel-y"])
        #expect(try complete(["layers", Self.lenet, "--colormap", "ma"]) == ["magma"])
        #expect(try complete(["layers", Self.lenet, "--upto", "re"]) == ["relu1", "relu2", "reshape1", "relu3", "relu4"])
    }

    /// docs/featmap.1 (made by swift-argument-parser's generate-manual plugin, see the README) is
    /// up to date: every command and every option of the binary's own help appears in it.
    @Test func theManPageHasEveryCommandAndOption() throws {
        let manual = try String(contentsOf: ModelCommandTests.repository.appendingPathComponent("docs/featmap.1"), encoding: .utf8)
        let r = try CLI.run(["--experimental-dump-help"])
        #expect(r.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        var commands = 0, options = 0
        func walk(_ command: [String: Any], top: Bool) {
            let name = command["commandName"] as! String
            if !top {
                commands += 1
                let present = manual.contains(".It Em \(name)\n")
                #expect(present, "docs/featmap.1 lacks the command \(name); regenerate it")
            }
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                for n in argument["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    options += 1
                    let long = n["name"] as! String
                    // ".It Fl -shard Ar K/N", or with a short name ".It Fl j , -jobs Ar jobs".
                    let present = manual.contains("Fl -\(long)") || manual.contains(" , -\(long)")
                    #expect(present, "docs/featmap.1 lacks --\(long) of \(name); regenerate it")
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, top: false) }
        }
        walk(root["command"] as! [String: Any], top: true)
        #expect(commands >= 11 && options > 50, "\(commands) commands, \(options) options")
    }
}
