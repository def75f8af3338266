/// A failure to read, decode or write an image file. `description` is one line a user can act
/// on: the file, what is wrong, and what would work instead, e.g.
/// "photo.png: truncated PNG data (file ends inside IDAT); the file is incomplete or damaged".
public struct CodecError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unreadable       // the file cannot be opened or read
        case empty            // zero bytes
        case notAnImage       // the content is no PNG, JPEG or NPY
        case truncated        // the data ends early
        case corrupt          // damaged data: bad CRC, bad Huffman code, missing chunk, bad header
        case tooLarge         // over the pixel limit (DecodeOptions.maxPixels)
        case unsupported      // a valid file of a kind featmap does not read (e.g. a big-endian NPY)
        case outOfMemory
        case writeFailed      // the output could not be created, written or renamed
        case invalidArgument  // the caller asked for something impossible (bad quality, wrong sample count)
    }

    public var kind: Kind
    /// The file as the user named it ("-" reads as "standard input").
    public var source: String
    public var message: String

    public init(_ kind: Kind, source: String, message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }

    /// How a path is named in messages ("-" is standard input).
    public static func displayName(_ path: String) -> String { path == "-" ? "standard input" : path }
}
