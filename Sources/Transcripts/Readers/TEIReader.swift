import Foundation

/// TEI P5, both the speech transcription module and drama:
/// - speech: `<u who start end>` (or TEI-CORPO's `<annotationBlock who start end>` around `<u><seg>`), times
///   from `<timeline>`/`<when>` (absolute, or `interval` since another point), `<pause/>`, `<vocal>`,
///   `<incident>` and `<kinesic>` as `[desc]` marks, `<spanGrp>` annotation tiers skipped;
/// - drama (FreDraCor, DraCor): `<sp who>` with `<l>`, `<p>`, `<lg>`; `<speaker>`, `<stage>` and `<note>`
///   excluded; several ids in `who` make one turn spoken together.
/// Names come from `<person xml:id>`/`<persName>` (TEI-CORPO: `<alt type>`), else from `<speaker>` labels.
/// TEI-CORPO's inline conventions are reduced to plain words: `{rire}` → `[rire]`, `::` lengthening and
/// `<`/`>` overlap marks removed.
public struct TEIReader: TranscriptReader {
    public static let format = TranscriptFormat.tei
    public init() {}

    public static func confidence(data: Data, fileName: String) -> Int {
        if ByteSearch.contains(data, within: 4096, "<TEI") || ByteSearch.contains(data, within: 4096, "http://www.tei-c.org/ns/1.0") { return 95 }
        return 0
    }

    public func read(data: Data, source: String) throws -> Transcript {
        var document = TEIDocument()
        try XMLStream.parse(data, source: source, knownNames: TEIElement.spellings, handler: &document)
        guard document.sawTEI else { throw TranscriptError(file: source, "not a TEI document (no <TEI> root)") }
        let times = document.times

        func resolve(_ reference: String?, depth: Int = 0) -> Double? {
            guard let reference, depth < 10_000 else { return nil }
            let id = reference.hasPrefix("#") ? String(reference.dropFirst()) : reference
            guard let point = times[id] else { return Self.seconds(reference) }
            if let absolute = point.absolute { return absolute }
            guard let interval = point.interval else { return nil }
            guard let since = point.since else { return interval }
            return resolve(since, depth: depth + 1).map { $0 + interval }
        }

        var speakers = SpeakerTable()
        var turns: [Turn] = []
        var added = Set<String>()
        for turn in document.turns {
            for id in turn.who where !added.contains(id) {
                added.insert(id)
                let name = document.names[id] ?? document.speakerLabels[id]
                speakers.add(id: id, name: name.flatMap { SpeakerNames.isAnonymous($0) || $0 == "default" ? nil : $0 })
            }
            turns.append(Turn(speaker: turn.who.count == 1 ? turn.who[0] : turn.who.joined(separator: " "), text: turn.text,
                              start: resolve(turn.start), end: resolve(turn.end), overlaps: turn.who.count > 1))
        }
        guard !turns.isEmpty else { throw TranscriptError(file: source, "no <u>, <annotationBlock> or <sp> with words in this TEI document") }
        return Transcript(source: source, format: .tei, speakers: speakers.speakers, turns: turns)
    }

    /// `HARPAGON, à part.` → `HARPAGON`.
    static func cleanSpeakerLabel(_ text: String) -> String {
        var label = TypographyNormalizer.collapseWhitespace(text)
        return label.withUTF8 { bytes in
            var end = bytes.firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "(") } ?? bytes.count
            while end > 0, bytes[end - 1] == UInt8(ascii: ".") || bytes[end - 1] == 0x20 || bytes[end - 1] == UInt8(ascii: ":") { end -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
        }
    }

    /// Whether `cleanCorpoConventions` has anything to do.
    static func hasCorpoConventions(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        // memchr per marker: four vectorized scans cost less than one byte-by-byte loop.
        for marker in [UInt8(ascii: "{"), UInt8(ascii: "<"), UInt8(ascii: ">")] where memchr(base, Int32(marker), bytes.count) != nil { return true }
        var from = 0
        while from < bytes.count, let hit = memchr(base + from, Int32(UInt8(ascii: ":")), bytes.count - from) {
            let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ":") { return true }
            from = index + 1
        }
        return false
    }

    private static let braceComment = TextPattern(#"\{([^}\n]*)\}"#, requiring: "{")

    static func cleanCorpoConventions(_ text: String) -> String {
        var out = braceComment.replacing(in: text, with: " [$1] ")
        out = out.replacingOccurrences(of: "::", with: "").replacingOccurrences(of: "<", with: " ").replacingOccurrences(of: ">", with: " ")
        return out
    }

    static func seconds(_ text: String) -> Double? {
        if let value = Double(text) { return value }
        return Timestamp.seconds(Substring(text))
    }
}
