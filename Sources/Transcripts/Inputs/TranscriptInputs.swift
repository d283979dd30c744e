import Foundation

/// One transcript to read: a file and the companion files that complete it.
public struct TranscriptInput: Sendable, Equatable, Hashable {
    /// The transcript itself: its name is the input's identity (outputs, errors, ledger).
    public var path: String
    /// A TEI header of the same recording that names the speakers (ORFEO's `.xml` beside its `.orfeo`).
    public var header: String?
    /// A diarization RTTM of the same recording, merged with a Whisper JSON's words.
    public var diarization: String?

    public init(path: String, header: String? = nil, diarization: String? = nil) {
        self.path = path
        self.header = header
        self.diarization = diarization
    }

    public var companions: [String] { [header, diarization].compactMap { $0 } }
}

/// Groups a folder's files into transcript inputs, so that files made to be read together are one input:
/// - a TEI header alone (`<teiHeader>`, no `<text>`) goes with the transcript of the same base name
///   (`Cha_hey_07.xml` + `Cha_hey_07.orfeo`) or, for ORFEO, with the `.orfeo` whose `# sent_id` names it
///   (`Anita_MUSSO_F_46_11e.xml` + `60secondes.orfeo` with `# sent_id = cefc-cfpp-Anita_MUSSO_F_46_11e-1`);
/// - an RTTM `name.rttm` goes with the Whisper JSON `name.json` or `name.<anything>.json`
///   (whisper-timestamped's `name.mp3.words.json`).
/// A companion with no partner stays an input of its own, and reading it says what it lacks. Only files in
/// the same directory pair up.
public enum TranscriptInputs {
    /// `paths` as inputs, in their order, companions folded into their transcript.
    public static func group(_ paths: [String]) -> [TranscriptInput] {
        var byDirectory: [String: [String]] = [:]
        for path in paths { byDirectory[directory(of: path), default: []].append(path) }
        var pairing: [String: TranscriptInput] = [:]
        for (_, siblings) in byDirectory {
            for input in pair(siblings) { pairing[input.path] = input }
        }
        let companions = Set(pairing.values.flatMap(\.companions))
        return paths.filter { !companions.contains($0) }.map { pairing[$0] ?? TranscriptInput(path: $0) }
    }

    /// The paths among `paths` that are another file's companion (to leave out of a list of inputs).
    public static func companionPaths(among paths: [String]) -> Set<String> {
        Set(group(paths).flatMap(\.companions))
    }

    /// The input `path` is the transcript of, with the companions found beside it in its directory. Only the
    /// names a companion could have are looked up (no directory listing), so preparing each file of a large
    /// folder stays linear in the folder's size.
    public static func input(for path: String) -> TranscriptInput {
        let folder = directory(of: path)
        func sibling(_ name: String) -> String? {
            let candidate = folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
            return candidate != path && FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        }
        var input = TranscriptInput(path: path)
        let name = (path as NSString).lastPathComponent
        switch extensionOf(path) {
        case "json":
            // `a.mp3.words.json` pairs with `a.rttm`, `a.mp3.rttm` or `a.mp3.words.rttm`, the shortest first.
            let parts = (name as NSString).deletingPathExtension.split(separator: ".", omittingEmptySubsequences: false)
            for count in 1...max(1, parts.count) {
                if let rttm = sibling(parts[..<count].joined(separator: ".") + ".rttm") { input.diarization = rttm; break }
            }
        case "xml", "rttm":
            break
        default:
            if let xml = sibling(recordingName(of: path) + ".xml"), isHeader(xml) {
                input.header = xml
            } else if extensionOf(path) == "orfeo", let recording = orfeoRecording(path) {
                // The header is named by the recording id's tail: `cefc-cfpp-Anita_MUSSO_F_46_11e` → `Anita_MUSSO_F_46_11e.xml`.
                var tail = recording[...]
                while !tail.isEmpty {
                    if let xml = sibling(tail + ".xml"), isHeader(xml) { input.header = xml; break }
                    guard let dash = tail.firstIndex(of: "-") else { break }
                    tail = tail[tail.index(after: dash)...]
                }
            }
        }
        return input
    }

    /// `name.ext` → `name`: what a recording is called in an RTTM or a TEI header.
    static func recordingName(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    private static func directory(of path: String) -> String { (path as NSString).deletingLastPathComponent }

    private static func extensionOf(_ path: String) -> String { (path as NSString).pathExtension.lowercased() }

    /// Pairs the files of one directory.
    private static func pair(_ siblings: [String]) -> [TranscriptInput] {
        var inputs: [String: TranscriptInput] = [:]
        let jsons = siblings.filter { extensionOf($0) == "json" }
        for rttm in siblings where extensionOf(rttm) == "rttm" {
            let stem = recordingName(of: rttm)
            let candidates = jsons.filter {
                let name = ((($0 as NSString).lastPathComponent) as NSString).deletingPathExtension
                return name == stem || name.hasPrefix(stem + ".")
            }
            guard let json = candidates.min(by: { $0.count < $1.count }) else { continue }
            inputs[json, default: TranscriptInput(path: json)].diarization = rttm
        }
        let xmls = siblings.filter { extensionOf($0) == "xml" }
        guard !xmls.isEmpty else { return Array(inputs.values) }
        let others = siblings.filter { extensionOf($0) != "xml" && extensionOf($0) != "rttm" }
        var othersByStem: [String: String] = [:]
        for other in others where othersByStem[recordingName(of: other)] == nil { othersByStem[recordingName(of: other)] = other }
        var paired = Set<String>()
        for xml in xmls {
            guard let partner = othersByStem[recordingName(of: xml)] else { continue }
            guard isHeader(xml) else { continue }
            inputs[partner, default: TranscriptInput(path: partner)].header = xml
            paired.insert(xml)
        }
        // ORFEO names its recording in every sentence id: pair a remaining header with the `.orfeo` naming it.
        let unpaired = xmls.filter { !paired.contains($0) }
        for orfeo in others where extensionOf(orfeo) == "orfeo" && inputs[orfeo]?.header == nil && !unpaired.isEmpty {
            guard let recording = orfeoRecording(orfeo) else { continue }
            for xml in unpaired where recording == recordingName(of: xml) || recording.hasSuffix("-" + recordingName(of: xml)) {
                guard isHeader(xml) else { continue }
                inputs[orfeo, default: TranscriptInput(path: orfeo)].header = xml
                break
            }
        }
        return Array(inputs.values)
    }

    private static func isHeader(_ path: String) -> Bool {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) else { return false }
        return TEIHeader.isHeaderOnly(data)
    }

    /// `# sent_id = cefc-cfpp-Anita_MUSSO_F_46_11e-1` → `cefc-cfpp-Anita_MUSSO_F_46_11e`.
    static func orfeoRecording(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: 4096)) ?? Data(), as: UTF8.self)
        guard let line = head.split(separator: "\n").first(where: { $0.hasPrefix("# sent_id = ") }) else { return nil }
        let id = line.dropFirst("# sent_id = ".count).trimmingWhitespaceAndNewlines()
        guard let dash = id.lastIndex(of: "-"), id[id.index(after: dash)...].allSatisfy(\.isNumber) else { return id }
        return String(id[..<dash])
    }
}
