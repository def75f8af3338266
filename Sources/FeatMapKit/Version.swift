public enum FeatMapVersion {
    public static let string = "0.1.0"
}
