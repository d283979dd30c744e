import Foundation

/// A classic 5-field cron expression — minute, hour, day of month, month, day of week — with `*`, numbers,
/// ranges `a-b`, steps `*/n` and `a-b/n`, and lists `a,b`. Day of week is 0–7 (0 and 7 are Sunday). As in
/// Vixie cron, when both day fields are restricted a day matches if EITHER matches. Times are in UTC so that a
/// schedule never fires twice or not at all across a daylight-saving change.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    public let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let description: String

    public static func parse(_ text: String) -> Result<CronExpression, ScheduleSyntaxError> {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            return .failure(ScheduleSyntaxError("bad cron expression '\(text)': expected 5 fields (minute hour day month weekday), found \(fields.count)"))
        }
        let specs: [(String, ClosedRange<Int>)] = [("minute", 0...59), ("hour", 0...23), ("day of month", 1...31), ("month", 1...12), ("day of week", 0...7)]
        var sets: [Set<Int>] = []
        for (field, (name, range)) in zip(fields, specs) {
            switch parseField(field, range: range) {
            case .success(let values): sets.append(values)
            case .failure(let reason):
                return .failure(ScheduleSyntaxError("bad cron expression '\(text)': \(name) field '\(field)': \(reason.description)"))
            }
        }
        var weekdays = sets[4]
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        return .success(CronExpression(
            minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3], daysOfWeek: weekdays,
            dayOfMonthRestricted: fields[2] != "*", dayOfWeekRestricted: fields[4] != "*", description: text))
    }

    private static func parseField(_ field: String, range: ClosedRange<Int>) -> Result<Set<Int>, ScheduleSyntaxError> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return .failure(ScheduleSyntaxError("more than one '/'")) }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { return .failure(ScheduleSyntaxError("step '\(pieces[1])' must be a positive integer")) }
                step = n
            }
            let base = pieces[0]
            var low: Int, high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let a = Int(bounds[0]), let b = Int(bounds.last!) else {
                    return .failure(ScheduleSyntaxError("'\(base)' is not a number, a range a-b or *"))
                }
                guard range.contains(a), range.contains(b) else {
                    return .failure(ScheduleSyntaxError("\(base) is outside \(range.lowerBound)-\(range.upperBound)"))
                }
                guard a <= b else { return .failure(ScheduleSyntaxError("range \(base) runs backwards")) }
                (low, high) = (a, pieces.count == 2 && bounds.count == 1 ? range.upperBound : b)
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return .success(values)
    }

    /// The first whole minute strictly after `date` that matches, or nil if none within the next 5 years
    /// (e.g. `0 0 31 2 *`).
    public func nextFire(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = Int((date.timeIntervalSince1970 / 60).rounded(.down)) + 1
        let components = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(start) * 60))
        guard var year = components.year, var month = components.month, var day = components.day,
              var hour = components.hour, var minute = components.minute else { return nil }
        let lastYear = year + 5
        while year <= lastYear {
            if !months.contains(month) {
                (month, day, hour, minute) = (month + 1, 1, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            let daysInMonth = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: year, month: month))!)!.count
            if day > daysInMonth || !dayMatches(year: year, month: month, day: day, calendar: calendar) {
                (day, hour, minute) = (day + 1, 0, 0)
                if day > daysInMonth { (month, day) = (month + 1, 1); if month > 12 { (year, month) = (year + 1, 1) } }
                continue
            }
            if !hours.contains(hour) {
                (hour, minute) = (hour + 1, 0)
                if hour > 23 { (day, hour) = (day + 1, 0) }
                continue
            }
            if !minutes.contains(minute) {
                minute += 1
                if minute > 59 { (hour, minute) = (hour + 1, 0) }
                continue
            }
            return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
        }
        return nil
    }

    private func dayMatches(year: Int, month: Int, day: Int, calendar: Calendar) -> Bool {
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else { return false }
        let weekday = calendar.component(.weekday, from: date) - 1  // Calendar: 1 = Sunday
        let byMonthDay = daysOfMonth.contains(day)
        let byWeekday = daysOfWeek.contains(weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return byMonthDay || byWeekday
        case (true, false): return byMonthDay
        case (false, true): return byWeekday
        case (false, false): return true
        }
    }
}
