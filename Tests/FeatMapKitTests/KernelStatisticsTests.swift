import Foundation
import Testing
@testable import FeatMapKit

/// Statistics worked out by hand.
@Suite struct KernelStatisticsTests {
    // Values −1 0 1 −2 0 2 −1 0 1: Σ = 0, Σv² = 12, σ = √(12/9).
    @Test func sobelX() {
        let s = KernelStatistics(.sobelX)
        #expect(s.size == "3×3")
        #expect(s.sum == 0 && s.mean == 0)
        #expect(abs(s.standardDeviation - (12.0 / 9).squareRoot()) < 1e-6)
        #expect(s.minimum == -2 && s.maximum == 2)
        #expect(s.isSeparable)
        #expect(s.columnFactor == [1, 2, 1])
        #expect(s.rowFactor == [-1, 0, 1])
        #expect(s.sumsToZero)
        #expect(s.sumMeaning.hasPrefix("sum ≈ 0: responds to change like an edge detector"))
    }

    // Σ = 1, mean 1/9, Σv² = 29, variance 29/9 − 1/81 = 260/81.
    @Test func sharpenIsNotSeparable() {
        let s = KernelStatistics(.sharpen)
        #expect(abs(s.sum - 1) < 1e-7)
        #expect(abs(s.mean - 1 / 9) < 1e-7)
        #expect(abs(s.standardDeviation - Float(260.0.squareRoot() / 9)) < 1e-6)
        #expect(s.minimum == -1 && s.maximum == 5)
        #expect(!s.isSeparable && s.rowFactor == nil && s.columnFactor == nil)
        #expect(s.sumMeaning.hasPrefix("sum ≈ 1: keeps brightness like a blur"))
    }

    @Test func boxSplitsIntoTwoNormalisedMeans() throws {
        let s = KernelStatistics(.box(3))
        let third: Float = 1 / 3
        #expect(s.isSeparable)
        for v in try #require(s.columnFactor) + (try #require(s.rowFactor)) { #expect(abs(v - third) < 1e-6) }
    }

    // The 61-tap Gaussian splits into two 1-D Gaussians that each sum to 1, with
    // g[30]/g[29] = exp(1/(2·10²)).
    @Test func gaussianFactorsAreNormalisedGaussians() throws {
        let s = KernelStatistics(Kernel.gaussian(sigma: 10))
        let column = try #require(s.columnFactor), row = try #require(s.rowFactor)
        #expect(column.count == 61 && row.count == 61)
        #expect(abs(column.reduce(0, +) - 1) < 1e-5 && abs(row.reduce(0, +) - 1) < 1e-5)
        #expect(abs(Double(column[30] / column[29]) - exp(1.0 / 200)) < 1e-5)
    }

    @Test func ranksAboveOneAreNotSeparable() {
        #expect(!KernelStatistics(.laplacian).isSeparable)
        #expect(!KernelStatistics(.emboss).isSeparable)
        #expect(KernelStatistics(.verticalLine).rowFactor == [-1, 2, -1])
        // Off by 1e-3 in one cell of a 1 2 1 / 2 4 2 / 1 2 1 binomial: beyond the 1e-5 tolerance.
        var k = Kernel(name: "b", width: 3, height: 3, values: [1, 2, 1, 2, 4, 2, 1, 2, 1])
        #expect(KernelStatistics(k).isSeparable)
        k.values[0] += 1e-3
        #expect(!KernelStatistics(k).isSeparable)
    }

    @Test func otherSumsScaleBrightness() {
        let s = KernelStatistics(Kernel(name: "ones", width: 3, height: 3, values: [Float](repeating: 1, count: 9)))
        #expect(s.sum == 9)
        #expect(s.sumMeaning.hasPrefix("sum = 9: scales brightness by 9"))
        #expect(s.standardDeviation == 0)
    }
}
