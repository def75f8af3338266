extension ClassicFilter {
    /// `featmap info --kernel`: the filter as convolution layers over `channels` input channels, one row
    /// per kernel (Sobel has an x and a y kernel), each a one-filter convolution with bias and same padding.
    public func analysed(channels: Int, height: Int, width: Int) throws -> ModelAnalysis {
        let graphs = try kernels.map { try Graph.singleConvolution(kernel: $0, channels: channels) }
        var analyses = try graphs.map { try $0.analysed(channels: channels, height: height, width: width) }
        for k in analyses.indices.dropFirst() { analyses[0].layers += analyses[k].layers }
        return analyses[0]
    }
}

extension Model {
    /// The input channels `featmap info` analyses: the declared input's, else the preprocessing's.
    public var analysisChannels: Int {
        let declared = graph.inputShape
        return declared.count == 4 && declared[1] > 0 ? declared[1] : preprocessing.channels
    }
}
