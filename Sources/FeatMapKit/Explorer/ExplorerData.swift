import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data of a `featmap explore` page besides the `info --json` summary: pictures as PNG data URIs,
/// activations quantised to 16 bits per value, receptive fields as integers, filters, pooling windows,
/// effective receptive fields and the top classes. Encoded as JSON into the page's
/// `<script type="application/json" id="featmap-page">`; the page's script reads nothing else.
struct ExplorerData: Encodable {
    var kind: String                 // "model" or "kernel"
    var title: String
    var model: String
    var input: String
    var original: String?            // data URI of the input file as it is (PNG or JPEG)
    var originalNote: String?
    var seen: String?                // data URI: the input as the network saw it
    var seenNote: String?
    var inputShape: [Int]
    var colormaps: [String: String]  // name → base64 of 256 RGB entries
    var layers: [Layer]
    var top: [TopClass]
    var notes: [String]
    var erfUnits: Int
    var kernel: KernelInfo?

    struct Layer: Encodable {
        var node: Int
        var name: String
        var op: String
        /// Producers: positions in `layers`, −1 for the network input.
        var inputs: [Int]
        var outputShape: [Int]
        var maps: Maps?
        var mapsNote: String?
        /// Distinct receptive fields as [size y, size x, jump y, jump x, padding y, padding x].
        var fields: [[Int]]?
        /// Per channel, the index of its field in `fields` (absent when every channel has fields[0]).
        var channelField: [Int]?
        /// Why a unit of this layer has no one receptive field (the words `featmap rf` prints).
        var fieldNote: String?
        var weightSharing: [Int]?     // convolution, locally connected, fully connected
        var filters: Filters?
        var pooling: PoolingInfo?
        var erf: [ERF]?
    }

    struct Maps: Encodable {
        var channels: Int, height: Int, width: Int
        /// base64 of little-endian UInt16: v = lo[c] + q · (hi[c] − lo[c]) / 65534; 65535 = NaN.
        /// Empty for a channel concatenation of embedded layers: its values are theirs, in `parts` order.
        var data: String
        var parts: [Int]?
        /// Empty `data` too for a Relu of an embedded layer: its values are max(0, v) of that layer's (position here).
        var reluOf: Int?
        var lo: [Float]
        var hi: [Float]
        /// `layers`' colour rule: the colormap, and per channel the range t = 0…1 spans.
        var colormap: String
        var ranges: [[Float]]
        var caption: String
        /// CSS pixels per map value (as `layers`' grid would enlarge the maps).
        var scale: Int
    }

    struct Filters: Encodable {
        var image: String
        var width: Int, height: Int
        /// Per drawn filter, per drawn input channel: [x, y, w, h] in picture pixels.
        var cells: [[[Int]]]
        var shape: [Int]
        /// base64 of little-endian Float32 weights [out, in, kh, kw] (absent when there are too many).
        var weights: String?
        var note: String?
    }

    struct PoolingInfo: Encodable {
        var kind: String
        var kernel: [Int], stride: [Int], dilation: [Int], padding: [Int]
        /// Position in `layers` of the pooled input, −1 for the network input.
        var source: Int
        var inputHeight: Int, inputWidth: Int
        /// Max pooling: base64 of one byte per output value, the winner's place ky·kw + kx in its window; 255 none.
        var winners: String?
    }

    struct ERF: Encodable {
        var unit: [Int]               // channel, y, x
        var value: Float
        /// The part of the field inside the image: top, left, height, width.
        var box: [Int]
        /// base64 of one byte per pixel of `box`: |∂unit/∂pixel| summed over channels, 255 at its maximum.
        var data: String
        var maximum: Float
    }

    struct TopClass: Encodable {
        var label: String
        var index: Int
        var probability: Float
    }

    struct KernelInfo: Encodable {
        var name: String
        var kernels: [[Float]]
        var sizes: [[Int]]
        /// Each kernel's offset, the bias of its one-filter convolution.
        var offsets: [Float]
        var statistics: [String]
        /// The grey input the kernels slide over, as 16-bit codes like a layer's maps.
        var input: Maps
    }
}

enum ExplorerEncoding {
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// PNG bytes of an image, through the library's PNG writer, into memory.
    static func png(_ image: Image) throws -> [UInt8] { try ImageEncoder.encoded(image, as: .png(depth: 8)) }

    static func pngURI(_ image: Image) throws -> String { "data:image/png;base64," + base64(try png(image)) }

    /// [C, H, W] values as 16-bit codes per channel over its finite min…max (65535 for NaN, ±∞ clamped).
    static func quantised(_ maps: Tensor, encoding: Bool = true) -> (data: String, lo: [Float], hi: [Float]) {
        guard let (c, h, w) = maps.planeShape else { return ("", [], []) }
        let plane = h * w
        var bytes = [UInt8](repeating: 0, count: encoding ? c * plane * 2 : 0)
        var los: [Float] = [], his: [Float] = []
        maps.storage.withUnsafeBufferPointer { all in
            for ch in 0..<c {
                let values = UnsafeBufferPointer(rebasing: all[(ch * plane)..<((ch + 1) * plane)])
                let r = ValueRange.finiteExtent(of: values) ?? ValueRange(low: 0, high: 0)
                los.append(r.low); his.append(r.high)
                guard encoding else { continue }
                let span = Double(r.high) - Double(r.low)
                let k = span > 0 ? 65534 / span : 0
                for i in 0..<plane {
                    let v = values[i]
                    let q: Int
                    if v.isNaN { q = 65535 } else { q = Int(((Double(min(max(v, r.low), r.high)) - Double(r.low)) * k).rounded()) }
                    let o = (ch * plane + i) * 2
                    bytes[o] = UInt8(q & 0xff); bytes[o + 1] = UInt8(q >> 8)
                }
            }
        }
        return (encoding ? base64(bytes) : "", los, his)
    }

    static func floats(_ values: [Float]) -> String {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        for (i, v) in values.enumerated() {
            let b = v.bitPattern.littleEndian
            bytes[4 * i] = UInt8(b & 0xff); bytes[4 * i + 1] = UInt8((b >> 8) & 0xff)
            bytes[4 * i + 2] = UInt8((b >> 16) & 0xff); bytes[4 * i + 3] = UInt8(b >> 24)
        }
        return base64(bytes)
    }

    /// JSON for inside a `<script>` element: every "<" (only ever inside a JSON string) written as \u003c,
    /// so that neither "</script>" nor "<!--" can end or change the element; the parsed JSON is the same.
    static func scriptSafe(_ json: String) -> String {
        let utf8 = json.utf8
        guard utf8.contains(UInt8(ascii: "<")) else { return json }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 64)
        let escape = Array("\\u003c".utf8)
        for b in utf8 { if b == UInt8(ascii: "<") { out += escape } else { out.append(b) } }
        return String(decoding: out, as: UTF8.self)
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
