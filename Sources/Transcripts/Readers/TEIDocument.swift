import Foundation

/// The TEI elements the reader acts on, numbered for `XMLStream` (their raw value is their number there).
enum TEIElement: Int, CaseIterable {
    case tei, tei2, person, castItem, alt, persName, role, when, u, annotationBlock, sp
    // Word boundaries inside a turn.
    case pause, lb, l, p, seg, s, lg
    // Events: `[desc]` marks.
    case vocal, incident, kinesic, event
    // Never speech.
    case teiHeader, front, back, speaker, stage, note, spanGrp, castList, head, desc, gap, trailer, fw, figure

    static let spellings: [String] = allCases.map { element in
        switch element {
        case .tei: return "TEI"
        case .tei2: return "TEI.2"
        default: return "\(element)"
        }
    }

    // Roles by element number, from the groups above (other names are numbered after these: no role).
    static func isBoundary(_ element: Int) -> Bool { element >= pause.rawValue && element <= lg.rawValue }
    static func isEvent(_ element: Int) -> Bool { element >= vocal.rawValue && element <= event.rawValue }
    static func isSilent(_ element: Int) -> Bool { element >= teiHeader.rawValue && element <= figure.rawValue }
}

/// The state of one TEI parse: `XMLStream` events in, turns (text already whitespace-collapsed), speaker
/// names and timeline points out. Text is gathered as UTF-8 bytes; each turn becomes one String at its end,
/// because FreDraCor alone is 228 MB and this runs on every text node of it.
struct TEIDocument: XMLStream.Handler {
    struct RawTurn {
        var who: [String]
        var text: String
        var start: String?
        var end: String?
    }

    private(set) var turns: [RawTurn] = []
    private(set) var names: [String: String] = [:]
    private(set) var speakerLabels: [String: String] = [:]
    private(set) var times: [String: (absolute: Double?, interval: Double?, since: String?)] = [:]
    private(set) var sawTEI = false

    private var depth = 0
    private var silentDepth = 0, speakerDepth = 0, annotationBlockDepth = 0
    private var lastElement = -1  // the innermost open element, for text inside `<desc>`
    private var openElements: [Int] = []

    private var person: (id: String?, name: [UInt8])?
    private var inPersName = false
    private var current: (who: [String], start: String?, end: String?)?
    private var text: [UInt8] = []
    private var speakerText: [UInt8] = []
    private var eventDescription: [UInt8]?
    private var eventDepth = 0

    init() {
        text.reserveCapacity(4096)
    }

    /// `#a #b` → `["a", "b"]`.
    private static func ids(_ who: String) -> [String] {
        var who = who
        return who.withUTF8 { bytes in
            var result: [String] = []
            var start = 0
            func word(until end: Int) {
                var first = start
                if first < end, bytes[first] == UInt8(ascii: "#") { first += 1 }
                if first < end { result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<end]), as: UTF8.self)) }
            }
            for index in 0..<bytes.count where bytes[index] == 0x20 || bytes[index] == 0x09 {
                word(until: index)
                start = index + 1
            }
            word(until: bytes.count)
            return result
        }
    }

    mutating func startElement(_ element: Int, attributes: XMLAttributes, names _: XMLStream.ElementNames) throws {
        depth += 1
        openElements.append(element)
        lastElement = element
        switch TEIElement(rawValue: element) {
        case .tei, .tei2:
            sawTEI = true
        case .person, .castItem:
            person = (attributes["xml:id"] ?? attributes["id"], [])
        case .alt:
            if person != nil, person?.id == nil, let type = attributes["type"] { person?.id = type }
        case .persName, .role:
            if person != nil {
                inPersName = true
                if element == TEIElement.role.rawValue, let corresp = attributes["corresp"] { person?.id = Self.ids(corresp).first }
            }
        case .when:
            if let id = attributes["xml:id"] {
                times[id] = (attributes["absolute"].flatMap(TEIReader.seconds), attributes["interval"].flatMap(Double.init),
                             attributes["since"].map { $0.hasPrefix("#") ? String($0.dropFirst()) : $0 })
            }
        case .u, .annotationBlock, .sp:
            if current == nil, silentDepth == 0 {
                current = (Self.ids(attributes["who"] ?? ""), attributes["start"], attributes["end"])
                text.removeAll(keepingCapacity: true)
                speakerText.removeAll(keepingCapacity: true)
            } else if current != nil, element == TEIElement.u.rawValue {
                text.append(0x20)
            }
            if element == TEIElement.annotationBlock.rawValue { annotationBlockDepth += 1 }
        default:
            if current != nil, TEIElement.isBoundary(element) { text.append(0x20) }
        }
        if TEIElement.isEvent(element), current != nil, eventDescription == nil {
            eventDescription = Array((attributes["desc"] ?? "").utf8)
            eventDepth = depth
        }
        if TEIElement.isSilent(element) {
            silentDepth += 1
            if element == TEIElement.speaker.rawValue { speakerDepth += 1 }
        }
    }

    mutating func endElement(_ element: Int, names _: XMLStream.ElementNames) throws {
        if TEIElement.isSilent(element) {
            silentDepth = max(0, silentDepth - 1)
            if element == TEIElement.speaker.rawValue { speakerDepth = max(0, speakerDepth - 1) }
        }
        if let description = eventDescription, depth == eventDepth {
            let desc = TypographyNormalizer.collapseWhitespace(String(decoding: description, as: UTF8.self))
            if !desc.isEmpty, current != nil {
                text.append(0x20)
                text.append(UInt8(ascii: "["))
                text.append(contentsOf: desc.utf8)
                text.append(contentsOf: "] ".utf8)
            }
            eventDescription = nil
        }
        switch TEIElement(rawValue: element) {
        case .persName, .role:
            inPersName = false
        case .person, .castItem:
            if let p = person, let id = p.id, names[id] == nil {
                let name = TypographyNormalizer.collapseWhitespace(String(decoding: p.name, as: UTF8.self))
                if !name.isEmpty { names[id] = name }
            }
            person = nil
        case .u, .annotationBlock, .sp:
            if element == TEIElement.annotationBlock.rawValue { annotationBlockDepth = max(0, annotationBlockDepth - 1) }
            // The element that opened the turn closes it (a <u> inside an annotationBlock does not).
            let opener = !(element == TEIElement.u.rawValue && annotationBlockDepth > 0)
            if opener, let turn = current { finishTurn(turn) }
        default:
            break
        }
        openElements.removeLast()
        lastElement = openElements.last ?? -1
        depth -= 1
    }

    mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if inPersName {
            person?.name.append(contentsOf: bytes)
        } else if eventDescription != nil {
            if lastElement == TEIElement.desc.rawValue { eventDescription!.append(contentsOf: bytes) }
        } else if current != nil {
            if speakerDepth > 0 {
                speakerText.append(contentsOf: bytes)
            } else if silentDepth == 0 {
                text.append(contentsOf: bytes)
            }
        }
    }

    private mutating func finishTurn(_ turn: (who: [String], start: String?, end: String?)) {
        current = nil
        var who = turn.who
        let label = speakerText.isEmpty ? "" : TEIReader.cleanSpeakerLabel(String(decoding: speakerText, as: UTF8.self))
        if who.isEmpty { who = [label.isEmpty ? "unknown" : label] }
        if !label.isEmpty, who.count == 1, speakerLabels[who[0]] == nil { speakerLabels[who[0]] = label }
        let words: String = text.withUnsafeBufferPointer { bytes in
            if TEIReader.hasCorpoConventions(bytes) {
                return TypographyNormalizer.collapseWhitespace(TEIReader.cleanCorpoConventions(String(decoding: bytes, as: UTF8.self)))
            }
            return TypographyNormalizer.collapseWhitespace(bytes)
        }
        guard !words.isEmpty else { return }
        turns.append(RawTurn(who: who, text: words, start: turn.start, end: turn.end))
    }
}
