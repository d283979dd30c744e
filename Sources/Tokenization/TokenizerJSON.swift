import Foundation

extension FalconTokenizer {
    /// Loads a Hugging Face `tokenizer.json` (a file, or a model directory holding one).
    public convenience init(contentsOf url: URL) throws {
        var file = url
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = url.appendingPathComponent("tokenizer.json")
        }
        let data: Data
        do {
            data = try Data(contentsOf: file, options: .mappedIfSafe)
        } catch {
            throw TokenizerError.unreadable(path: file.path, reason: (error as NSError).localizedDescription)
        }
        try self.init(tokenizerJSON: data, source: file.path)
    }

    /// Parses the contents of a `tokenizer.json`. Merges may be written `"a b"` or `["a", "b"]`; only the
    /// Falcon pipeline (BPE model, ByteLevel decoder, Falcon's pre-tokenizer) is accepted, because encoding
    /// anything else with Falcon's rules would silently give wrong ids.
    public convenience init(tokenizerJSON data: Data, source: String) throws {
        func fail(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(path: source, reason: reason) }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("the top level is not an object")
            }
            root = object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw fail("invalid JSON (\((error as NSError).localizedDescription))")
        }
        guard let model = root["model"] as? [String: Any] else { throw fail("no \"model\" object") }
        guard (model["type"] as? String ?? "BPE") == "BPE" else {
            throw TokenizerError.unsupportedModel(path: source, reason: "model type \(model["type"] ?? "?") is not BPE")
        }
        try Self.checkFalconPipeline(root, source: source)
        guard let vocab = model["vocab"] as? [String: Any] else { throw fail("no \"model.vocab\" object") }
        guard let rawMerges = model["merges"] as? [Any] else { throw fail("no \"model.merges\" array") }

        var spellingByID: [String?] = []
        func place(_ spelling: String, _ id: Int) throws {
            guard id >= 0, id < 10_000_000 else { throw fail("token \"\(spelling)\" has id \(id), out of range") }
            if id >= spellingByID.count { spellingByID += [String?](repeating: nil, count: id + 1 - spellingByID.count) }
            spellingByID[id] = spelling
        }
        for (spelling, value) in vocab {
            guard let id = (value as? NSNumber)?.intValue else { throw fail("token \"\(spelling)\" has a non-integer id") }
            try place(spelling, id)
        }
        var specialIDs = Set<Int>()
        for case let added as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            guard let id = (added["id"] as? NSNumber)?.intValue, let content = added["content"] as? String else {
                throw fail("an added token lacks \"id\" or \"content\"")
            }
            try place(content, id)
            if added["special"] as? Bool ?? true { specialIDs.insert(id) }
        }
        if let gap = spellingByID.firstIndex(where: { $0 == nil }) {
            throw fail("the vocabulary has no token with id \(gap)")
        }

        var merges: [(String, String)] = []
        merges.reserveCapacity(rawMerges.count)
        for (index, merge) in rawMerges.enumerated() {
            if let text = merge as? String {
                let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("merge #\(index) \"\(text)\" is not two tokens") }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = merge as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw fail("merge #\(index) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        try self.init(vocabulary: spellingByID.map { $0! }, merges: merges, specialTokenIDs: specialIDs, source: source)
    }

    private static func checkFalconPipeline(_ root: [String: Any], source: String) throws {
        func unsupported(_ reason: String) -> TokenizerError { .unsupportedModel(path: source, reason: reason) }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw unsupported("it has a normalizer; Falcon's tokenizer has none")
        }
        let stages = ((root["pre_tokenizer"] as? [String: Any])?["pretokenizers"] as? [[String: Any]] ?? [])
            .compactMap { $0["type"] as? String }
        guard stages == ["Punctuation", "ByteLevel", "Digits", "Split"] else {
            throw unsupported("pre-tokenizer \(stages) is not Falcon's (Punctuation, ByteLevel, Digits, Split)")
        }
        if let decoder = root["decoder"] as? [String: Any], decoder["type"] as? String != "ByteLevel" {
            throw unsupported("decoder \(decoder["type"] ?? "?") is not ByteLevel")
        }
    }
}
