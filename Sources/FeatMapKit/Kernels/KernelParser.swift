import Foundation

/// Reads kernels written by people: featmap's text format (docs/kernel-format.md), libvips `.mat`
/// matrix files and inline specs such as "3x3: 0 -1 0 -1 5 -1 0 -1 0". Every error names the
/// file and line it comes from.
public enum KernelParser {
    /// featmap's own format: rows of numbers (spaces or commas between them), `#` comments, and
    /// optional header lines `name:`, `scale:` (the values are divided by it), `offset:` (added to
    /// the response) and `anchor: ROW,COL` (0-based).
    public static func parseText(_ text: String, file: String) throws -> Kernel {
        var rows: [[Float]] = []
        var name: String?
        var scale: Float = 1
        var offset: Float = 0
        var anchor: (Pair, line: Int)?
        for (index, rawLine) in lines(of: text).enumerated() {
            let lineNumber = index + 1
            let line = stripComment(rawLine)
            if line.isEmpty { continue }
            if let colon = line.firstIndex(of: ":"), line[..<colon].contains(where: { $0.isLetter }) {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                func fail(_ message: String) -> KernelError { KernelError(message, file: file, line: lineNumber) }
                switch key {
                case "name":
                    guard !value.isEmpty else { throw fail("the name header is empty; write e.g. 'name: sharpen'") }
                    name = value
                case "scale":
                    guard let s = number(value), s != 0 else {
                        throw fail("scale must be a non-zero number (the values are divided by it), got '\(value)'")
                    }
                    scale = s
                case "offset":
                    guard let o = number(value) else { throw fail("offset must be a number, got '\(value)'") }
                    offset = o
                case "anchor":
                    let parts = value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
                    guard parts.count == 2, let ay = Int(parts[0]), let ax = Int(parts[1]) else {
                        throw fail("anchor must be 'ROW,COL' counted from 0, e.g. 'anchor: 1,1', got '\(value)'")
                    }
                    anchor = (Pair(ay, ax), lineNumber)
                default:
                    throw fail("unknown header '\(key)'; the headers are name, scale, offset and anchor")
                }
                continue
            }
            var row: [Float] = []
            try forEachToken(of: line) { token in
                guard row.count < maximumSide else {
                    throw KernelError("row has more than \(maximumSide) numbers; kernels are at most \(maximumSide)×\(maximumSide)",
                                      file: file, line: lineNumber)
                }
                guard let v = number(String(token)) else {
                    throw KernelError("'\(token)' is not a number; rows hold numbers like 1, -0.5 or 2e-3",
                                      file: file, line: lineNumber)
                }
                row.append(v)
            }
            if row.isEmpty { continue }
            guard rows.count < maximumSide else {
                throw KernelError("more than \(maximumSide) rows; kernels are at most \(maximumSide)×\(maximumSide)",
                                  file: file, line: lineNumber)
            }
            if let first = rows.first, first.count != row.count {
                throw KernelError("row has \(row.count) number\(row.count == 1 ? "" : "s"), rows above have \(first.count)",
                                  file: file, line: lineNumber)
            }
            rows.append(row)
        }
        guard let first = rows.first else {
            throw KernelError("no rows of numbers; write one line per kernel row, e.g. '0 -1 0' (see docs/kernel-format.md)",
                              file: file)
        }
        let height = rows.count, width = first.count
        if let (a, line) = anchor {
            guard a.y >= 0, a.y < height, a.x >= 0, a.x < width else {
                throw KernelError("anchor \(a.y),\(a.x) lies outside the \(height)×\(width) kernel; rows run 0...\(height - 1), "
                                  + "columns 0...\(width - 1)", file: file, line: line)
            }
        }
        return Kernel(name: name ?? baseName(file), width: width, height: height,
                      values: rows.flatMap { $0 }.map { $0 / scale }, anchor: anchor?.0, offset: offset)
    }

    /// A libvips matrix file: a first line "W H [scale [offset]]", then H rows of W numbers.
    /// The response is Σ/scale + offset, as in vips_conv.
    public static func parseMatrix(_ text: String, file: String) throws -> Kernel {
        var header: (width: Int, height: Int, scale: Float, offset: Float)?
        var values: [Float] = []
        var rowsRead = 0
        for (index, rawLine) in lines(of: text).enumerated() {
            let lineNumber = index + 1
            let line = stripComment(rawLine)
            if line.isEmpty { continue }
            var tokens: [String] = []
            // No row or header holds more than maximumSide + 1 numbers that featmap accepts.
            try forEachToken(of: line) { token in
                guard tokens.count <= maximumSide else {
                    throw KernelError(header == nil
                        ? "the first line of a .mat file must be 'WIDTH HEIGHT [SCALE [OFFSET]]', e.g. '3 3 1 0'"
                        : "row has more than \(maximumSide) numbers; kernels are at most \(maximumSide)×\(maximumSide)",
                        file: file, line: lineNumber)
                }
                tokens.append(String(token))
            }
            guard let h = header else {
                guard (2...4).contains(tokens.count), let w = Int(tokens[0]), let hh = Int(tokens[1]), w >= 1, hh >= 1 else {
                    throw KernelError("the first line of a .mat file must be 'WIDTH HEIGHT [SCALE [OFFSET]]', e.g. '3 3 1 0', "
                                      + "got '\(line)'", file: file, line: lineNumber)
                }
                let scale = tokens.count > 2 ? number(tokens[2]) : 1
                let offset = tokens.count > 3 ? number(tokens[3]) : 0
                guard let scale, scale != 0 else {
                    throw KernelError("scale must be a non-zero number, got '\(tokens[2])'", file: file, line: lineNumber)
                }
                guard let offset else {
                    throw KernelError("offset must be a number, got '\(tokens[3])'", file: file, line: lineNumber)
                }
                guard w <= maximumSide, hh <= maximumSide else {
                    throw KernelError("the header declares a \(w)×\(hh) kernel (WIDTH HEIGHT); kernels are at most "
                                      + "\(maximumSide)×\(maximumSide)", file: file, line: lineNumber)
                }
                header = (w, hh, scale, offset)
                continue
            }
            guard rowsRead < h.height else {
                throw KernelError("the header declares \(h.height) rows, this is row \(rowsRead + 1); fix the HEIGHT "
                                  + "on the first line or remove the extra row", file: file, line: lineNumber)
            }
            guard tokens.count == h.width else {
                throw KernelError("row has \(tokens.count) number\(tokens.count == 1 ? "" : "s"), the header declares "
                                  + "width \(h.width)", file: file, line: lineNumber)
            }
            for token in tokens {
                guard let v = number(token) else {
                    throw KernelError("'\(token)' is not a number", file: file, line: lineNumber)
                }
                values.append(v / h.scale)
            }
            rowsRead += 1
        }
        guard let h = header else {
            throw KernelError("empty matrix file; a .mat file starts with 'WIDTH HEIGHT [SCALE [OFFSET]]'", file: file)
        }
        guard rowsRead == h.height else {
            throw KernelError("the header declares \(h.height) rows of \(h.width) numbers, the file has \(rowsRead)", file: file)
        }
        return Kernel(name: baseName(file), width: h.width, height: h.height, values: values, offset: h.offset)
    }

    /// "ROWSxCOLS: v v v …" with the values row by row, e.g. "3x3: 0 -1 0 -1 5 -1 0 -1 0",
    /// or nil when `spec` does not start with "ROWSxCOLS:".
    public static func parseInline(_ spec: String) throws -> Kernel? {
        guard let colon = spec.firstIndex(of: ":") else { return nil }
        let size = spec[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let dims = size.split(whereSeparator: { $0 == "x" || $0 == "×" })
        guard dims.count == 2, let h = Int(dims[0]), let w = Int(dims[1]) else { return nil }
        guard h >= 1, w >= 1, h <= 1025, w <= 1025 else {
            throw KernelError("inline kernel size \(size) must be between 1x1 and 1025x1025")
        }
        let tokens = spec[spec.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        var values: [Float] = []
        for token in tokens {
            guard let v = number(String(token)) else {
                throw KernelError("inline kernel: '\(token)' is not a number; write e.g. '3x3: 0 -1 0 -1 5 -1 0 -1 0'")
            }
            values.append(v)
        }
        guard values.count == h * w else {
            throw KernelError("inline kernel \(h)x\(w) needs \(h * w) numbers (row by row), got \(values.count)")
        }
        return Kernel(name: "\(h)x\(w)", width: w, height: h, values: values)
    }

    // MARK: helpers

    /// The largest kernel side a file or inline spec may give (as `KernelLibrary.maximumSize`).
    static let maximumSide = 1025

    /// Calls `body` with each run of characters between spaces, tabs and commas, without splitting
    /// the whole line first (a hostile line may hold millions).
    static func forEachToken(of line: String, _ body: (Substring) throws -> Void) rethrows {
        var start: String.Index? = nil
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == " " || c == "\t" || c == "," {
                if let s = start { try body(line[s..<i]); start = nil }
            } else if start == nil {
                start = i
            }
            i = line.index(after: i)
        }
        if let s = start { try body(line[s...]) }
    }

    /// A finite decimal number; "nan" and "inf" are refused because they poison every response.
    static func number(_ s: String) -> Float? {
        guard let v = Float(s.trimmingCharacters(in: .whitespaces)), v.isFinite else { return nil }
        return v
    }

    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    static func stripComment(_ line: Substring) -> String {
        let body = line.firstIndex(of: "#").map { line[..<$0] } ?? line
        return body.trimmingCharacters(in: .whitespaces)
    }

    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
