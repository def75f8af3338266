/// The K-th of N parts of a batch's input list (`--shard K/N`), chosen without any
/// coordination between the N runs: input i (0-based position in the list as read, folders
/// expanded in sorted order) belongs to shard i mod N + 1.
///
/// By position rather than by a hash of the path: the N parts differ in size by at most one
/// input, so the slowest part of a job array is as short as it can be, and a path spelled
/// differently on two hosts (relative, absolute, through a mount) cannot move it to another
/// shard. The price: every run must be given the same list in the same order (the same
/// arguments, or the same --files-from file).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based: 1 ≤ index ≤ count.
    public let index: Int
    public let count: Int

    public static let all = Shard(uncheckedIndex: 1, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        self.index = uncheckedIndex
        self.count = count
    }

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError("N must be a positive whole number, got \(count)") }
        guard (1...count).contains(index) else { throw ShardError("K must be between 1 and N (\(count)), got \(index)") }
        self.index = index
        self.count = count
    }

    /// Parses "K/N", e.g. "2/4".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw ShardError("'\(text)' is not K/N; give two whole numbers such as 2/4 (the second of four parts)")
        }
        try self.init(index: k, count: n)
    }

    /// The positions (into a list of `total` inputs) of this shard's inputs, in list order.
    public func positions(total: Int) -> [Int] {
        guard total > 0 else { return [] }
        return Array(stride(from: index - 1, to: total, by: count))
    }

    /// This shard's items of a list, in list order.
    public func select<T>(_ items: [T]) -> [T] {
        positions(total: items.count).map { items[$0] }
    }

    public var description: String { "\(index)/\(count)" }
}

public struct ShardError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ message: String) { description = "--shard: " + message }
}
