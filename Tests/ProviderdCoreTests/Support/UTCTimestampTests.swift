import Foundation
import Testing

@testable import ProviderdCore

@Suite("UTC timestamps")
struct UTCTimestampTests {
    /// Foundation's ISO 8601 style is the oracle: the log, STATUS and `usage summary`
    /// printed its text before, and must print the same now.
    @Test("the same text as Date.formatted(.iso8601), day included, across leap days, year ends and the epoch")
    func matchesFoundation() {
        let samples: [Double] =
            [
                0, 59.999, 951_782_400, 951_868_799.5, 1_709_164_800, 1_735_689_599, 1_735_689_600,
                1_798_761_599, 4_102_444_800, 1_764_712_884.25,
            ]
            + (0..<2_000).map { Double($0) * 1_234_567.891 }
        for seconds in samples {
            let expected = Date(timeIntervalSince1970: seconds.rounded(.down)).formatted(.iso8601)
            #expect(UTCTimestamp.iso8601(seconds) == expected, "at \(seconds)")
            #expect(UTCTimestamp.day(seconds) == String(expected.prefix(10)), "at \(seconds)")
        }
    }

    @Test("now is the wall clock")
    func nowIsWallClock() {
        #expect(abs(UTCTimestamp.now() - Date().timeIntervalSince1970) < 1)
    }
}
