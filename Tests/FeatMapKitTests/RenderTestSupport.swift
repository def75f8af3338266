import Foundation
import Testing
@testable import FeatMapKit

/// Fixtures under Fixtures/render, made by Tests/scripts/render_fixtures.py.
enum RenderFixtures {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/render/\(name)", withExtension: nil))
    }

    /// Raw little-endian float32 values.
    static func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: url(name))
        let bytes = [UInt8](data)
        var out = [Float](repeating: 0, count: bytes.count / 4)
        for k in out.indices {
            var bits = UInt32(bytes[4 * k])
            bits |= UInt32(bytes[4 * k + 1]) << 8
            bits |= UInt32(bytes[4 * k + 2]) << 16
            bits |= UInt32(bytes[4 * k + 3]) << 24
            out[k] = Float(bitPattern: bits)
        }
        return out
    }

    /// Non-comment lines split on spaces.
    static func rows(_ name: String) throws -> [[Substring]] {
        try String(contentsOf: url(name), encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ") }
    }

    /// matplotlib's colour for (featmap map name, t) from colormap_samples.txt.
    static func matplotlib(_ name: String, _ t: Float) throws -> RGB {
        let row = try #require(try rows("colormap_samples.txt").first { $0[0] == name && Float($0[1]) == t })
        return RGB(UInt8(row[2])!, UInt8(row[3])!, UInt8(row[4])!)
    }
}

// Checks run on a Canvas (whose test description is one short line) rather than on an Image,
// whose description would list every sample when an expectation fails.
extension Canvas {
    func rgb(_ x: Int, _ y: Int) -> RGB { self[x, y] }

    /// Every pixel of `rect` has `color`.
    func isFilled(_ rect: PixelRect, with color: RGB) -> Bool {
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX where rgb(x, y) != color { return false } }
        return true
    }

    func colors(in rect: PixelRect) -> Set<RGB> {
        var out = Set<RGB>()
        for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX { out.insert(rgb(x, y)) } }
        return out
    }
}

/// Writes pictures as binary PPM into $FEATMAP_RENDER_DUMP when that is set, to look at them by eye.
enum RenderDump {
    static func write(_ canvas: Canvas, _ name: String) {
        write(canvas.image, name)
    }

    static func write(_ image: Image, _ name: String) {
        guard let dir = ProcessInfo.processInfo.environment["FEATMAP_RENDER_DUMP"] else { return }
        var data = Data("P6\n\(image.width) \(image.height)\n255\n".utf8)
        data.append(contentsOf: image.samples.map { UInt8(max(0, min(255, $0))) })
        try? data.write(to: URL(fileURLWithPath: dir).appendingPathComponent("\(name).ppm"))
    }
}
