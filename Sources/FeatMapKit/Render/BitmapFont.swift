/// featmap's built-in bitmap font: 5×7 glyphs in a 6×8 cell (one column and one row of spacing),
/// printable ASCII plus × − μ ± · ° … ≤ ≥ σ. Drawn at an integer scale, so text stays crisp
/// in the PNGs and needs no font files at run time. Glyph rows are in BitmapFontGlyphs.swift.
public struct BitmapFont: Sendable {
    public static let standard = BitmapFont()

    public let glyphWidth = 5
    public let glyphHeight = 7
    /// The glyph cell, spacing included: advance per character is cellWidth.
    public let cellWidth = 6
    public let cellHeight = 8
    /// Advance per line: two rows more than the cell, so stacked lines do not touch.
    public let lineHeight = 10

    /// Drawn for characters the font lacks: a hollow box, so a missing glyph is visible, not silent.
    static let missingRows: [UInt8] = [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F]

    public init() {}

    public func hasGlyph(_ ch: Character) -> Bool {
        if let a = ch.asciiValue, (32...126).contains(a) { return true }
        return Self.extraRows[ch] != nil
    }

    /// Seven rows, bit 4 = leftmost column.
    public func rows(for ch: Character) -> ArraySlice<UInt8> {
        if let a = ch.asciiValue, (32...126).contains(a) {
            let i = Int(a - 32) * 7
            return Self.asciiRows[i..<i + 7]
        }
        if let rows = Self.extraRows[ch] { return rows[...] }
        return Self.missingRows[...]
    }

    /// Pixel width of the widest line of `text`, without the spacing column after the last character.
    public func width(of text: String, scale: Int = 1) -> Int {
        let longest = text.split(separator: "\n", omittingEmptySubsequences: false).map(\.count).max() ?? 0
        return longest == 0 ? 0 : (longest * cellWidth - 1) * scale
    }

    /// Pixel height of `text`: lineHeight per line, the last line only as tall as a glyph.
    public func height(of text: String, scale: Int = 1) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        return ((lines - 1) * lineHeight + glyphHeight) * scale
    }
}
