/// Options of `FeatureGrid.render`; every field has a default, so `.init()` gives a sensible picture.
public struct FeatureGridOptions: Sendable {
    /// Cells per row; nil gives ⌈√C⌉ as torchvision's make_grid would with nrow = ⌈√C⌉.
    public var columns: Int?
    /// Pixels between cells and around the grid (make_grid's padding).
    public var padding: Int
    /// Colour of the padding and of the label strips.
    public var padColor: RGB
    public var normalization: GridNormalization
    /// nil chooses: the diverging map (rdbu, centred on zero) when the layer holds values of both
    /// signs, otherwise viridis (perceptually uniform, readable in grey print).
    public var colormap: Colormap?
    /// Enlargement of each map pixel; nil chooses ⌈minimumCellSize / max(H, W)⌉, capped by
    /// maximumScale and lowered until the grid fits in maximumImageSide.
    public var scale: Int?
    public var minimumCellSize: Int
    public var maximumScale: Int
    public var maximumImageSide: Int
    /// Channel index above each cell.
    public var showsLabels: Bool
    public var showsColorBar: Bool
    public var nanColor: RGB
    public var background: RGB
    public var textColor: RGB
    public var margin: Int

    public init(columns: Int? = nil, padding: Int = 2, padColor: RGB = RGB(grey: 48),
                normalization: GridNormalization = .map, colormap: Colormap? = nil, scale: Int? = nil,
                minimumCellSize: Int = 48, maximumScale: Int = 32, maximumImageSide: Int = 4096,
                showsLabels: Bool = true, showsColorBar: Bool = true, nanColor: RGB = .magenta,
                background: RGB = .white, textColor: RGB = .black, margin: Int = 8) {
        self.columns = columns
        self.padding = padding
        self.padColor = padColor
        self.normalization = normalization
        self.colormap = colormap
        self.scale = scale
        self.minimumCellSize = minimumCellSize
        self.maximumScale = maximumScale
        self.maximumImageSide = maximumImageSide
        self.showsLabels = showsLabels
        self.showsColorBar = showsColorBar
        self.nanColor = nanColor
        self.background = background
        self.textColor = textColor
        self.margin = margin
    }
}
