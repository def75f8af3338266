import Foundation

/// Names the output of each input from a template such as `{stem}-{kernel}.{ext}`.
/// Fields: {stem} (the input's name without folder and extension), {name} (with extension),
/// {ext} (the output format's extension), {kernel}, {layer}, {index} (1-based position in the batch),
/// {dir} (the input's folder with '/' turned into '_').
/// When two inputs of one batch share a stem (a/photo.jpg and b/photo.jpg) the {stem} of each
/// becomes its whole relative path with '/' turned into '_' (a_photo, b_photo), so default
/// names are predictable and never collide.
public struct OutputNaming: Sendable {
    public static let defaultTemplate = "{stem}-{kernel}.{ext}"

    public var template: String
    public var folder: String?
    private var stems: [String]

    public init(template: String, folder: String?, inputs: [String]) {
        self.template = template
        self.folder = folder
        let plain = inputs.map(OutputNaming.stem(of:))
        var seen: [String: Int] = [:]
        for s in plain { seen[s, default: 0] += 1 }
        stems = zip(inputs, plain).map { path, s in
            guard seen[s]! > 1, path != "-" else { return s }
            var p = (path as NSString).deletingPathExtension
            while p.hasPrefix("./") { p.removeFirst(2) }
            if p.hasPrefix("/") { p.removeFirst() }
            return p.replacingOccurrences(of: "/", with: "_")
        }
    }

    public static func stem(of path: String) -> String {
        if path == "-" { return "stdin" }
        return ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// A string safe to put in a file name: letters, digits, '.', '_' and '-' kept, others '-'.
    public static func sanitized(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isLetter || ch.isNumber || ch == "_" || ch == "." || ch == "-" { out.append(ch) } else { out.append("-") }
        }
        while out.contains("--") { out = out.replacingOccurrences(of: "--", with: "-") }
        out = out.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
        return out.isEmpty ? "out" : out
    }

    public func name(forInputAt index: Int, path: String, ext: String, kernel: String = "", layer: String = "") -> String {
        let dir = (path as NSString).deletingLastPathComponent.replacingOccurrences(of: "/", with: "_")
        var name = template
        let fields: [(String, String)] = [
            ("{stem}", stems[index]), ("{name}", (path as NSString).lastPathComponent), ("{ext}", ext),
            ("{kernel}", OutputNaming.sanitized(kernel)), ("{layer}", OutputNaming.sanitized(layer)),
            ("{index}", String(index + 1)), ("{dir}", dir.isEmpty ? "." : dir),
        ]
        for (key, value) in fields { name = name.replacingOccurrences(of: key, with: value) }
        guard let folder else { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
