import Foundation

extension LayerRunReport {
    /// `featmap layers --json`: the input, the output folder, one object per layer (name, op, output_shape,
    /// params, min, mean, max, with timing ms, and the file written), the top classes, with timing the totals,
    /// what stopped the pass, and for an input of several samples their count and the drawn one. One line,
    /// keys sorted (Foundation's encoder keeps no order of its own). Statistics that are not finite are null.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(LayerRunJSON(report: self)), as: UTF8.self)
    }
}

/// A figure rounded to `decimals` places, as the text output rounds it.
func jsonRounded(_ v: Double, decimals: Double) -> Double {
    let scale = Foundation.pow(10, decimals)
    return (v * scale).rounded() / scale
}

private struct LayerRunJSON: Encodable {
    var report: LayerRunReport

    enum Key: String, CodingKey {
        case input, output_dir, layers, top, forward_ms, forward_passes, inference_ms, stopped, samples, sample
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(report.input, forKey: .input)
        try c.encode(report.outputDir, forKey: .output_dir)
        try c.encode(report.rows.map { LayerRowJSON(row: $0, timed: report.forwardMilliseconds != nil) }, forKey: .layers)
        if !report.top.isEmpty { try c.encode(report.top.map(TopClassJSON.init), forKey: .top) }
        if let ms = report.forwardMilliseconds { try c.encode(jsonRounded(ms, decimals: 3), forKey: .forward_ms) }
        try c.encodeIfPresent(report.passes, forKey: .forward_passes)
        if let ms = report.inferenceMilliseconds { try c.encode(jsonRounded(ms, decimals: 3), forKey: .inference_ms) }
        try c.encodeIfPresent(report.stopped, forKey: .stopped)
        if report.samples > 1 {
            try c.encode(report.samples, forKey: .samples)
            try c.encode(report.sample, forKey: .sample)
        }
    }
}

private struct LayerRowJSON: Encodable {
    var row: LayerRow
    var timed: Bool

    enum Key: String, CodingKey { case name, op, output_shape, params, min, mean, max, ms, file }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(row.name, forKey: .name)
        try c.encode(row.op, forKey: .op)
        try c.encode(row.shape, forKey: .output_shape)
        try c.encode(row.parameters, forKey: .params)
        for (key, v) in [(Key.min, row.min), (.mean, row.mean), (.max, row.max)] {
            if v.isFinite { try c.encode(v, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        if timed { try c.encode(jsonRounded(row.milliseconds, decimals: 3), forKey: .ms) }
        try c.encodeIfPresent(row.file, forKey: .file)
    }
}

private struct TopClassJSON: Encodable {
    var top: LayerRunReport.TopClass

    enum Key: String, CodingKey { case `class`, index, probability }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(top.name, forKey: .class)
        try c.encode(top.index, forKey: .index)
        try c.encode(jsonRounded(Double(top.probability), decimals: 6), forKey: .probability)
    }
}
