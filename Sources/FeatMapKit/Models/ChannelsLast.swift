import Foundation

extension Graph {
    /// The values laid out [N, H, W, C]: from a Transpose with perm [0, 2, 3, 1] of a value that is not,
    /// through every node that reads one (LayerNormalization, MatMul on the channels, activations:
    /// ConvNeXt's blocks), until a Transpose with perm [0, 3, 1, 2] turns it back. Their last two axes are
    /// W and C, so they are not feature maps to draw, however four-dimensional they look.
    public var channelsLastValues: Set<String> {
        var last = Set<String>()
        for node in nodes {
            let reads = node.inputs.contains { last.contains($0) }
            if node.op == "Transpose" {
                let perm = node.ints("perm")
                if perm == [0, 2, 3, 1] && !reads { last.formUnion(node.outputs) }
                // [0, 3, 1, 2] turns a channels-last value back; any other perm of one: no longer known to be.
                continue
            }
            if reads { last.formUnion(node.outputs.filter { !$0.isEmpty }) }
        }
        return last
    }
}
