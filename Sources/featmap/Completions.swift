import ArgumentParser
import FeatMapKit
import Foundation

/// What the shell completions (`featmap --generate-completion-script bash|zsh|fish`) offer for
/// arguments whose values are names rather than files.
enum Completions {
    /// The built-in kernels (parametric ones by name alone: box, gaussian, …; the parameters
    /// follow a ':'). Kernel files and inline matrices are typed as they are.
    static var kernels: CompletionKind { .list(KernelLibrary.builtins.map(\.name)) }

    static var colormaps: CompletionKind { .list(Colormap.names) }

    /// --norm's modes; fixed takes LO,HI after the ':'.
    static var norms: CompletionKind { .list(["map", "layer", "fixed:"]) }

    static var models: CompletionKind { .file(extensions: ["weights", "onnx", "safetensors"]) }

    /// The layer names of the model named earlier on the command line, for --layer, --upto and
    /// (with `commaSeparated`, completing the name after the last ',') --layers. The model is
    /// only loaded, never run; on any error (no model yet, unreadable, not a model) nothing is
    /// offered and nothing is printed.
    static func layerNames(commaSeparated: Bool = false) -> CompletionKind {
        .custom { words, current, prefix in
            layerCompletions(words: words, current: current, prefix: prefix, commaSeparated: commaSeparated)
        }
    }

    static let modelExtensions: Set<String> = ["weights", "onnx", "safetensors"]

    static func layerCompletions(words: [String], current: Int, prefix: String, commaSeparated: Bool) -> [String] {
        var modelPath: String?, architecture: String?
        for (i, word) in words.enumerated() where i > 0 && i != current {
            if word == "--arch", i + 1 < words.count, i + 1 != current {
                architecture = words[i + 1]
            } else if word.hasPrefix("--arch=") {
                architecture = String(word.dropFirst("--arch=".count))
            } else if modelPath == nil, !word.hasPrefix("-"),
                      modelExtensions.contains((word as NSString).pathExtension.lowercased()),
                      words[i - 1] != "--arch" {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: word, isDirectory: &isDirectory), !isDirectory.boolValue {
                    modelPath = word
                }
            }
        }
        guard let modelPath,
              let model = try? Model.load(contentsOf: URL(fileURLWithPath: modelPath),
                                          architecture: architecture.map { URL(fileURLWithPath: $0) }) else { return [] }
        var head = "", tail = prefix
        if commaSeparated, let comma = prefix.lastIndex(of: ",") {
            head = String(prefix[...comma])
            tail = String(prefix[prefix.index(after: comma)...])
        }
        return model.graph.layerNames(completing: tail).map { head + $0 }
    }
}
