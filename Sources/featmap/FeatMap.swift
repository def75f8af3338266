import ArgumentParser
import FeatMapKit

@main
struct FeatMap: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "featmap", abstract: "See what convolution does to an image.", version: "0.1.0")
}
