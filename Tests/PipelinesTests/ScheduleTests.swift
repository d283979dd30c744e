import Foundation
import Testing
@testable import Pipelines

@Suite struct ScheduleTests {
    @Test(arguments: [("10m", 600), ("90s", 90), ("1h30m", 5400), ("2d", 172_800), ("1d2h3m4s", 93_784)])
    func durationsParse(text: String, seconds: Int) throws {
        let interval = try ScheduleInterval.parse(text).get()
        #expect(interval.seconds == seconds)
        #expect(try ScheduleInterval.parse(interval.description).get() == interval)
    }

    @Test(arguments: ["10x", "10", "m", "", "0s", "-5m", "1.5h", "99999999999999999999d", "400d"])
    func badDurationsAreRefused(text: String) {
        #expect(throws: ScheduleSyntaxError.self) { try ScheduleInterval.parse(text).get() }
    }

    private func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    @Test(arguments: [
        ("*/10 * * * *", "2026-11-25T03:14:30Z", "2026-11-25T03:20:00Z"),
        ("*/10 * * * *", "2026-11-25T03:20:00Z", "2026-11-25T03:30:00Z"),  // strictly after
        ("0 * * * *", "2026-11-25T23:59:00Z", "2026-11-26T00:00:00Z"),
        ("30 2 * * *", "2026-12-31T03:00:00Z", "2027-01-01T02:30:00Z"),
        ("0 9 * * 1-5", "2026-11-28T10:00:00Z", "2026-11-30T09:00:00Z"),  // Saturday → Monday
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),  // next leap day
        ("0 0 1 * 0", "2026-11-25T00:00:00Z", "2026-11-29T00:00:00Z"),  // day-of-month OR Sunday
        ("15,45 8-10/2 * * 7", "2026-11-25T00:00:00Z", "2026-11-29T08:15:00Z"),  // 7 is Sunday
    ])
    func cronNextFire(expression: String, after: String, expected: String) throws {
        let cron = try CronExpression.parse(expression).get()
        #expect(cron.nextFire(after: utc(after)) == utc(expected))
    }

    @Test func impossibleCronNeverFires() throws {
        let cron = try CronExpression.parse("0 0 31 2 *").get()
        #expect(cron.nextFire(after: utc("2026-01-01T00:00:00Z")) == nil)
    }

    @Test(arguments: ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *"])
    func badCronIsRefused(expression: String) {
        #expect(throws: ScheduleSyntaxError.self) { try CronExpression.parse(expression).get() }
    }
}
