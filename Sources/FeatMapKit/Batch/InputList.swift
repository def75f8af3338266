import Foundation

/// The inputs of one call: paths, folders (their image files, sorted; with `recursive`, all
/// below them), and names read from a list file (`-` for standard input), newline- or
/// NUL-separated. "-" alone stands for standard input.
public struct InputList: Sendable {
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

    public var paths: [String]

    public init(arguments: [String], recursive: Bool, filesFrom: String?, nulSeparated: Bool) throws {
        var paths: [String] = []
        for argument in arguments {
            paths += try InputList.expand(argument, recursive: recursive)
        }
        if let filesFrom {
            let bytes = try InputFile.read(filesFrom)
            let separator: UInt8 = nulSeparated ? 0 : 10
            for piece in bytes.split(separator: separator, omittingEmptySubsequences: true) {
                var name = String(decoding: piece, as: UTF8.self)
                if !nulSeparated && name.hasSuffix("\r") { name.removeLast() }
                if !name.isEmpty { paths.append(name) }
            }
        }
        self.paths = paths
    }

    static func expand(_ argument: String, recursive: Bool) throws -> [String] {
        if argument == "-" { return ["-"] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            // Reported per file when it is read, so that the rest of a batch goes on.
            return [argument]
        }
        guard isDirectory.boolValue else { return [argument] }
        let base = URL(fileURLWithPath: argument)
        var found: [String] = []
        if recursive {
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else {
                throw BatchError.unreadableFolder(argument)
            }
            for case let url as URL in walker where InputList.imageExtensions.contains(url.pathExtension.lowercased()) {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    found.append(InputList.join(argument, url.path.dropFirst(base.path.count + 1)))
                }
            }
        } else {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: argument) else {
                throw BatchError.unreadableFolder(argument)
            }
            for name in names where InputList.imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                let path = InputList.join(argument, Substring(name))
                var dir: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &dir), !dir.boolValue { found.append(path) }
            }
        }
        return found.sorted()
    }

    static func join(_ folder: String, _ name: Substring) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

public enum BatchError: Error, CustomStringConvertible, Sendable {
    case unreadableFolder(String)
    case noInputs
    case wouldOverwriteInput(String)
    case exists(String)
    case binaryToTerminal(String)
    case outputFolderUnusable(String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFolder(let p): return "\(p): cannot list this folder; check that it exists and is readable"
        case .noInputs: return "no input images; give paths, folders, '-' for standard input or --files-from FILE"
        case .wouldOverwriteInput(let p): return "\(p): the output would overwrite an input file; choose another -o, --out-dir or --name"
        case .exists(let p): return "\(p): exists and --no-clobber was given; skipped"
        case .binaryToTerminal(let f): return "refusing to write binary \(f) data to a terminal; redirect it (> out.\(f)) or pipe it to another program"
        case let .outputFolderUnusable(p, reason): return "\(p): cannot use it as the output folder (\(reason)); choose a folder that can be created or written to"
        }
    }
}

/// The output folder of a batch (`--out-dir`), made with its parents when it does not exist yet, as
/// `mkdir -p` would; an existing file of that name, or a folder that cannot be made, is an error.
public func makeOutputFolder(_ path: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
        guard isFolder.boolValue else { throw BatchError.outputFolderUnusable(path, reason: "it is a file, not a folder") }
        return
    }
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? error.localizedDescription
        throw BatchError.outputFolderUnusable(path, reason: "it cannot be created: \(reason)")
    }
}

