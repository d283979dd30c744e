import Foundation

/// NIST RTTM diarization (pyannote's output): `SPEAKER file channel start duration <NA> <NA> label <NA> <NA>`
/// lines, one per speech segment; other record types (`SPKR-INFO`, `LEXEME`…) and `;;` comments skipped.
/// One file may hold several recordings (the `file` column).
struct RTTM: Sendable, Equatable {
    struct Segment: Sendable, Equatable {
        var start: Double
        var end: Double
        var speaker: String
    }

    /// Segments per recording, in file order; `recordings` in order of first appearance.
    var segments: [String: [Segment]] = [:]
    var recordings: [String] = []

    static func read(data: Data, source: String) throws -> RTTM {
        var rttm = RTTM()
        for line in TextDecoding.lines(try TextDecoding.decode(data, source: source)) {
            let fields = line.text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let type = fields.first, type == "SPEAKER" else { continue }
            guard fields.count >= 8, let start = Double(fields[3]), let duration = Double(fields[4]),
                  start.isFinite, duration.isFinite, start >= 0, duration >= 0 else {
                throw TranscriptError(file: source, .line(line.number, column: 1),
                                      "an RTTM SPEAKER line needs: SPEAKER file channel start duration <NA> <NA> speaker")
            }
            let recording = String(fields[1])
            if rttm.segments[recording] == nil { rttm.recordings.append(recording) }
            rttm.segments[recording, default: []].append(Segment(start: start, end: start + duration, speaker: String(fields[7])))
        }
        guard !rttm.recordings.isEmpty else { throw TranscriptError(file: source, "no SPEAKER line in this RTTM file") }
        return rttm
    }

    /// The segments of the recording named `name` (a file's base name), or of the only recording there is.
    func segments(for name: String, source: String) throws -> [Segment] {
        if let own = segments[name] { return own }
        if recordings.count == 1 { return segments[recordings[0]]! }
        throw TranscriptError(file: source, "holds the recordings \(recordings.joined(separator: ", ")), none named '\(name)'")
    }
}
