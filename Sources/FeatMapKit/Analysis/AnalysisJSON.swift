import Foundation

extension ModelAnalysis {
    /// `featmap info --json`: the model, its input shape, one object per layer (operator, shapes, window,
    /// receptive field, parameters and MACs, and the weight-sharing comparison for convolutions), the
    /// totals, and what stopped the analysis when something did: one line, keys sorted (Foundation's
    /// encoder keeps no order of its own, and sorted keys make the same model give the same bytes).
    public func json(title: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Report(analysis: self, title: title)), as: UTF8.self)
    }
}

/// The encoded form of a `ModelAnalysis`.
private struct Report: Encodable {
    var analysis: ModelAnalysis
    var title: String

    enum Key: String, CodingKey { case model, input_shape, layers, total_params, total_macs, stopped }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(title, forKey: .model)
        try c.encode(analysis.inputShape, forKey: .input_shape)
        try c.encode(analysis.layers.map(LayerReport.init), forKey: .layers)
        try c.encode(analysis.totalParameters, forKey: .total_params)
        try c.encode(analysis.totalMultiplyAccumulates, forKey: .total_macs)
        if let stop = analysis.stoppedBy { try c.encode("\(stop)", forKey: .stopped) }
    }
}

private struct LayerReport: Encodable {
    var layer: LayerSummary

    enum Key: String, CodingKey {
        case name, op, output_shape, params, macs, kernel, stride, padding, dilation, groups
        case receptive_field, effective_stride, effective_padding, receptive_field_note
        case params_locally_connected, params_fully_connected
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        func pair(_ p: Pair) -> [Int] { [p.y, p.x] }
        try c.encode(layer.name, forKey: .name)
        try c.encode(layer.op, forKey: .op)
        try c.encode(layer.outputShape, forKey: .output_shape)
        try c.encode(layer.parameters, forKey: .params)
        try c.encode(layer.multiplyAccumulates, forKey: .macs)
        if let k = layer.kernel { try c.encode(pair(k), forKey: .kernel) }
        if let s = layer.stride { try c.encode(pair(s), forKey: .stride) }
        if let p = layer.padding { try c.encode([p.top, p.left, p.bottom, p.right], forKey: .padding) }
        if let d = layer.dilation { try c.encode(pair(d), forKey: .dilation) }
        if let g = layer.groups { try c.encode(g, forKey: .groups) }
        // The field: three pairs, or the same word in all three (not aligned, irregular), or null.
        let fieldKeys: [Key] = [.receptive_field, .effective_stride, .effective_padding]
        switch layer.field {
        case .spatial(let r):
            for (key, p) in zip(fieldKeys, [r.size, r.jump, r.padding]) { try c.encode(pair(p), forKey: key) }
        case .notAligned:
            for key in fieldKeys { try c.encode("not aligned", forKey: key) }
        case .irregular(let why):
            for key in fieldKeys { try c.encode("irregular", forKey: key) }
            try c.encode(why, forKey: .receptive_field_note)
        case .notSpatial:
            for key in fieldKeys { try c.encodeNil(forKey: key) }
        }
        if let s = layer.weightSharing {
            try c.encode(s.locallyConnected, forKey: .params_locally_connected)
            try c.encode(s.fullyConnected, forKey: .params_fully_connected)
        }
    }
}
