import ArgumentParser
import FeatMapKit

@main
struct FeatMap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featmap",
        abstract: "See what convolution does to an image, and what the first layers of a CNN see.",
        discussion: """
        Examples:
          featmap apply sobel photo.jpg                 writes photo-sobel.png
          featmap apply gaussian:2 photos/ --out-dir blurred -j 2
          featmap kernels show scharr-x
        Exit status: 0 success, 1 a file or model could not be processed, 64 a usage error.
        """,
        version: FeatMapVersion.string,
        subcommands: [ApplyCommand.self, KernelsCommand.self, LayersCommand.self, PredictCommand.self, ConvertCommand.self,
                      InfoCommand.self, RFCommand.self, PoolCommand.self, FiltersCommand.self,
                      ExploreCommand.self, ShiftCommand.self]
    )
}
