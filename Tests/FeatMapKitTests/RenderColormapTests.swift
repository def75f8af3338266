import Testing
@testable import FeatMapKit

/// Colormaps against matplotlib: Fixtures/render/colormap_samples.txt holds
/// round(255 · matplotlib.colormaps[name](t)) for assorted t (Tests/scripts/render_fixtures.py).
@Suite struct RenderColormapTests {
    @Test func everySampleMatchesMatplotlib() throws {
        let rows = try RenderFixtures.rows("colormap_samples.txt")
        #expect(rows.count == 5 * 13)
        for row in rows {
            let map = try Colormap.named(String(row[0]))
            let t = try #require(Float(row[1]))
            let c = map.color(at: t)
            #expect(RGB(c.0, c.1, c.2) == RGB(UInt8(row[2])!, UInt8(row[3])!, UInt8(row[4])!), "\(row[0]) at \(t)")
        }
    }

    // Published endpoints: viridis runs from #440154 to #FDE725, magma from #000004 to #FCFDBF.
    @Test func knownEndpoints() throws {
        #expect(Colormap.viridis.rgb(at: 0) == RGB(0x44, 0x01, 0x54))
        #expect(Colormap.viridis.rgb(at: 1) == RGB(0xFD, 0xE7, 0x25))
        #expect(Colormap.magma.rgb(at: 0) == RGB(0x00, 0x00, 0x04))
        #expect(Colormap.magma.rgb(at: 1) == RGB(0xFC, 0xFD, 0xBF))
        #expect(Colormap.grey.rgb(at: 0.5) == RGB(grey: 128))
    }

    @Test func outOfRangeIsClampedAndNaNDoesNotTrap() {
        #expect(Colormap.viridis.rgb(at: -3) == Colormap.viridis.entry(0))
        #expect(Colormap.viridis.rgb(at: 7) == Colormap.viridis.entry(255))
        #expect(Colormap.viridis.rgb(at: .nan) == Colormap.viridis.entry(0))
        #expect(Colormap.viridis.rgb(at: .infinity) == Colormap.viridis.entry(255))
    }

    @Test func namesAliasesAndErrors() throws {
        #expect(try Colormap.named("gray") == .grey)
        #expect(try Colormap.named("RdBu_r") == .rdbu)
        #expect(try Colormap.named("Viridis") == .viridis)
        #expect(try Colormap.named("diverging").isDiverging)
        #expect(!Colormap.viridis.isDiverging && !Colormap.magma.isDiverging && !Colormap.grey.isDiverging)
        #expect(Colormap.coolwarm.isDiverging)
        #expect(throws: RenderError.unknownColormap("jet")) { try Colormap.named("jet") }
        #expect(RenderError.unknownColormap("jet").description.contains("viridis"))
    }
}
