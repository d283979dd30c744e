import ArgumentParser
import Transcripts

// The normalization choices are parsed by ArgumentParser itself, which lists the valid values in help and
// in the error for a wrong one.
extension NormalizationOptions.SpeakerTags: ExpressibleByArgument {}
extension NormalizationOptions.Casing: ExpressibleByArgument {}
extension NormalizationOptions.Events: ExpressibleByArgument {}

/// `--format`: detect from content, or force one reader.
enum FormatChoice: ExpressibleByArgument, Equatable {
    case auto
    case forced(TranscriptFormat)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let format = TranscriptFormat(rawValue: argument) {
            self = .forced(format)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + TranscriptFormat.allCases.map(\.rawValue) }

    var defaultValueDescription: String {
        switch self {
        case .auto: "auto"
        case .forced(let format): format.rawValue
        }
    }

    var forcedFormat: TranscriptFormat? {
        if case .forced(let format) = self { return format }
        return nil
    }
}
