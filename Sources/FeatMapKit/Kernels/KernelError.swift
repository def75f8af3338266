/// A kernel that cannot be built: a bad name, parameter, file or inline spec. The description is one
/// line that says what is wrong, where (file and line when there is one) and what would work.
public struct KernelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the kernel came from, or nil for a name or inline spec.
    public var file: String?
    /// 1-based line in `file`, or nil when the problem is the file as a whole.
    public var line: Int?
    public var message: String

    public init(_ message: String, file: String? = nil, line: Int? = nil) {
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f) line \(l): \(message)"
        case let (f?, nil): return "\(f): \(message)"
        default: return message
        }
    }
}
