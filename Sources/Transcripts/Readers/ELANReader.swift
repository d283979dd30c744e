import Foundation

/// ELAN `.eaf`: time slots (milliseconds), one tier per speaker (the PARTICIPANT attribute, or the tier id)
/// with time-aligned annotations. Child tiers (PARENT_REF: translations, comments, codings) and tiers whose
/// linguistic type is not transcription-like are skipped; turns are sorted by start time.
public struct ELANReader: TranscriptReader {
    public static let format = TranscriptFormat.eaf
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        if ByteSearch.contains(data, within: 2048, "<ANNOTATION_DOCUMENT") { return 100 }
        return fileName.lowercased().hasSuffix(".eaf") ? 30 : 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        var slots: [String: Double] = [:]
        var pending: [(tier: String, start: String?, end: String?, text: String)] = []
        var tierSpeaker: [String: String] = [:]
        var currentTier: String?
        var currentAnnotation: (start: String?, end: String?)?
        var inValue = false
        var value = ""
        var sawDocument = false
        try XMLStream.walk(data, source: source) { event in
            switch event {
            case .start(let name, let attributes):
                switch name {
                case "ANNOTATION_DOCUMENT": sawDocument = true
                case "TIME_SLOT":
                    if let id = attributes["TIME_SLOT_ID"], let ms = attributes["TIME_VALUE"].flatMap(Double.init) { slots[id] = ms / 1000 }
                case "TIER":
                    let id = attributes["TIER_ID"] ?? ""
                    let type = (attributes["LINGUISTIC_TYPE_REF"] ?? "").lowercased()
                    let isChild = attributes["PARENT_REF"] != nil
                    let annotationType = ["comment", "stance", "affiliation", "alignment", "gesture", "translation", "gloss", "note", "pos", "lemma", "coding"]
                        .contains { type.contains($0) }
                    currentTier = isChild || annotationType ? nil : id
                    if let current = currentTier {
                        let participant = attributes["PARTICIPANT"].flatMap { $0.isBlank ? nil : $0 }
                        tierSpeaker[current] = participant ?? id
                    }
                case "ALIGNABLE_ANNOTATION":
                    if currentTier != nil { currentAnnotation = (attributes["TIME_SLOT_REF1"], attributes["TIME_SLOT_REF2"]) }
                case "ANNOTATION_VALUE":
                    if currentAnnotation != nil { inValue = true; value = "" }
                default: break
                }
            case .end(let name):
                switch name {
                case "ANNOTATION_VALUE":
                    if inValue, let tier = currentTier, let annotation = currentAnnotation {
                        pending.append((tier, annotation.start, annotation.end, value))
                    }
                    inValue = false
                case "ALIGNABLE_ANNOTATION": currentAnnotation = nil
                case "TIER": currentTier = nil
                default: break
                }
            case .text(let text):
                if inValue { value += text }
            }
        }
        guard sawDocument else { throw TranscriptError(file: source, "not an ELAN file (no <ANNOTATION_DOCUMENT>)") }
        var speakers = SpeakerTable()
        var turns: [Turn] = []
        for item in pending {
            let text = item.text.trimmingWhitespaceAndNewlines()
            guard !text.isEmpty, let label = tierSpeaker[item.tier] else { continue }
            let id = speakers.add(id: label, name: SpeakerNames.isAnonymous(label) || label == "default" ? nil : label)
            turns.append(Turn(speaker: id, text: text, start: item.start.flatMap { slots[$0] }, end: item.end.flatMap { slots[$0] }))
        }
        turns = turns.enumerated().sorted { ($0.element.start ?? 0, $0.offset) < ($1.element.start ?? 0, $1.offset) }.map(\.element)
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no time-aligned annotation on a speaker tier") }
        return Transcript(source: source, format: .eaf, speakers: speakers.speakers, turns: turns)
    }
}
