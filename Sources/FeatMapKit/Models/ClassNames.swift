import Foundation

extension Model {
    /// Class names from a text file, one per line in output order (blanks around each trimmed; a last
    /// empty line dropped), for `featmap convert --classes`.
    public static func classNames(fromFile path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ModelError.unreadable(file: path, reason: "cannot be read as UTF-8 text; give one class name per line")
        }
        var names = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if names.last == "" { names.removeLast() }
        return names
    }
}
