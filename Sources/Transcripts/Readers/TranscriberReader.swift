import Foundation

/// Transcriber `.trs`: the speaker table, `<Turn speaker="spk1 spk2">` with `<Who nb>` splitting overlapping
/// speech into one turn per speaker, `<Event>` noises and languages as `[desc]` marks, `<Comment>` and `<Background>` ignored.
/// Files are usually ISO-8859-1; libxml2 honours the declared encoding.
public struct TranscriberReader: TranscriptReader {
    public static let format = TranscriptFormat.trs
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        guard ByteSearch.contains(data, within: 2048, "<Trans") else { return fileName.lowercased().hasSuffix(".trs") ? 30 : 0 }
        if ByteSearch.contains(data, within: 2048, "trans-14.dtd") || ByteSearch.contains(data, within: 2048, "<Speakers")
            || ByteSearch.contains(data, within: 2048, "<Episode") { return 95 }
        return 70
    }

    public func read(data: Data, source: String) throws -> Transcript {
        var speakers = SpeakerTable()
        var declared: [String: (name: String?, role: String?)] = [:]
        var turns: [Turn] = []
        var metadata: [String: String] = [:]
        // The turn being read: its speakers, the text of each, which one is speaking.
        var turnSpeakers: [String] = []
        var texts: [String] = []
        var who = 0
        var turnStart: Double?, turnEnd: Double?
        var inTurn = false, skipDepth = 0
        var sawTrans = false

        try XMLStream.walk(data, source: source) { event in
            switch event {
            case .start(let name, let attributes):
                if skipDepth > 0 { skipDepth += 1; return }
                switch name {
                case "Trans":
                    sawTrans = true
                    for key in ["audio_filename", "scribe", "version_date", "xml:lang"] { if let v = attributes[key] { metadata[key] = v } }
                case "Speaker":
                    if let id = attributes["id"] {
                        let name = attributes["name"].flatMap { $0.isBlank ? nil : $0 }
                        declared[id] = (name, attributes["type"])
                    }
                case "Turn":
                    inTurn = true
                    turnSpeakers = (attributes["speaker"] ?? "").split(separator: " ").map(String.init)
                    if turnSpeakers.isEmpty { turnSpeakers = ["unknown"] }
                    texts = Array(repeating: "", count: turnSpeakers.count)
                    who = 0
                    turnStart = attributes["startTime"].flatMap(Double.init)
                    turnEnd = attributes["endTime"].flatMap(Double.init)
                case "Who":
                    if let nb = attributes["nb"].flatMap(Int.init), nb >= 1, nb <= turnSpeakers.count { who = nb - 1 }
                case "Event":
                    guard inTurn, let desc = attributes["desc"], !desc.isEmpty else { return }
                    // `pronounce`, `lexical` and `entities` events annotate the words around them (`ta` for a
                    // spoken "t'as", `amorce` for a truncation): they are not sounds.
                    if let type = attributes["type"], ["pronounce", "lexical", "entities"].contains(type) { return }
                    // A begin/end pair marks a stretch ([rire] … ); one mark for it is enough.
                    if attributes["extent"] == "end" { return }
                    texts[who] += " [\(desc)] "
                case "Comment", "Background":
                    skipDepth = 1  // every start has its end, empty elements included
                default:
                    break
                }
            case .end(let name):
                if skipDepth > 0 { skipDepth -= 1; return }
                guard name == "Turn", inTurn else { return }
                inTurn = false
                let overlapping = turnSpeakers.count > 1
                for (index, id) in turnSpeakers.enumerated() {
                    let text = texts[index].trimmingWhitespaceAndNewlines()
                    guard !text.isEmpty else { continue }
                    let facts = declared[id]
                    let name = facts?.name.flatMap { SpeakerNames.isAnonymous($0) ? nil : $0 }
                    speakers.add(id: id, name: name, role: facts?.role)
                    turns.append(Turn(speaker: id, text: text, start: turnStart, end: turnEnd, overlaps: overlapping))
                }
            case .text(let text):
                if skipDepth == 0, inTurn { texts[who] += text }
            }
        }
        guard sawTrans else { throw TranscriptError(file: source, "not a Transcriber file (no <Trans> element)") }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no speech in this Transcriber file") }
        return Transcript(source: source, format: .trs, speakers: speakers.speakers, turns: turns, metadata: metadata)
    }
}
