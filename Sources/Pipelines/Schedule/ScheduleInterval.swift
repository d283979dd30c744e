/// A duration written like `90s`, `10m`, `1h30m` or `2d`: one or more integer amounts, each followed by a unit
/// (s, m, h, d). Plain numbers are refused: a unit must always be said.
public struct ScheduleInterval: Sendable, Hashable, CustomStringConvertible {
    public let seconds: Int

    public init(seconds: Int) { self.seconds = seconds }

    /// Nil with a reason when `text` is not a duration.
    public static func parse(_ text: String) -> Result<ScheduleInterval, ScheduleSyntaxError> {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var total = 0
        var digits = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = units[character] {
                guard let amount = Int(digits) else {
                    return .failure(ScheduleSyntaxError("bad duration '\(text)': '\(character)' needs a number before it (e.g. 10m)"))
                }
                let (product, overflow1) = amount.multipliedReportingOverflow(by: unit)
                let (sum, overflow2) = total.addingReportingOverflow(product)
                guard !overflow1, !overflow2, sum <= 366 * 86_400 else {
                    return .failure(ScheduleSyntaxError("bad duration '\(text)': longer than a year"))
                }
                total = sum
                digits = ""
                sawUnit = true
            } else {
                return .failure(ScheduleSyntaxError("bad duration '\(text)': unknown unit '\(character)' (use s, m, h or d, e.g. 10m or 1h30m)"))
            }
        }
        guard digits.isEmpty else {
            return .failure(ScheduleSyntaxError("bad duration '\(text)': '\(digits)' has no unit (use s, m, h or d, e.g. \(digits)m)"))
        }
        guard sawUnit else { return .failure(ScheduleSyntaxError("bad duration '\(text)': empty")) }
        guard total > 0 else { return .failure(ScheduleSyntaxError("bad duration '\(text)': must be longer than zero")) }
        return .success(ScheduleInterval(seconds: total))
    }

    public var description: String {
        var rest = seconds
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}

/// Why a duration or a cron expression was refused; the description is the message without a location.
public struct ScheduleSyntaxError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
