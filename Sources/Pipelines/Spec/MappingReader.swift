/// Reads one YAML mapping against a fixed set of keys: unknown keys, duplicates, wrong types and missing
/// required keys all become located problems, and every getter returns nil (never a silent default) when the
/// value is unusable.
struct MappingReader {
    let node: YAMLNode
    let section: String
    let problems: ProblemList
    private var values: [String: YAMLNode] = [:]

    /// Nil (after recording a problem) when `node` is not a mapping.
    init?(_ node: YAMLNode, section: String, keys: [String], problems: ProblemList) {
        self.node = node
        self.section = section
        self.problems = problems
        guard case .mapping(let pairs) = node.kind else {
            problems.add("\(section) must be a mapping, found \(node.kindName)", at: node.mark)
            return nil
        }
        for (key, value) in pairs {
            guard let name = key.scalar else {
                problems.add("keys in \(section) must be plain words, found \(key.kindName)", at: key.mark)
                continue
            }
            if !keys.contains(name) {
                let known = keys.joined(separator: ", ")
                problems.add("unknown key '\(name)' in \(section)\(DidYouMean.hint(for: name, among: keys)); known keys: \(known)", at: key.mark)
            } else if values[name] != nil {
                problems.add("duplicate key '\(name)' in \(section)", at: key.mark)
            } else {
                values[name] = value
            }
        }
    }

    subscript(key: String) -> YAMLNode? {
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    func required(_ key: String) -> YAMLNode? {
        guard let value = self[key] else {
            problems.add("missing required key '\(key)' in \(section)", at: node.mark)
            return nil
        }
        return value
    }

    func string(_ key: String) -> String? {
        guard let value = self[key] else { return nil }
        return scalarString(value, key)
    }

    func scalarString(_ value: YAMLNode, _ key: String) -> String? {
        guard let text = value.scalar else {
            problems.add("\(section).\(key) must be a string, found \(value.kindName)", at: value.mark)
            return nil
        }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = self[key] else { return nil }
        guard case .scalar(let text, let quoted) = value.kind, !quoted, let number = Int(text) else {
            problems.add("\(section).\(key) must be an integer, found \(describe(value))", at: value.mark)
            return nil
        }
        guard range.contains(number) else {
            problems.add("\(section).\(key) must be between \(range.lowerBound) and \(range.upperBound), found \(number)", at: value.mark)
            return nil
        }
        return number
    }

    func unsigned(_ key: String) -> UInt64? {
        guard let value = self[key] else { return nil }
        guard case .scalar(let text, let quoted) = value.kind, !quoted, let number = UInt64(text) else {
            problems.add("\(section).\(key) must be a non-negative integer, found \(describe(value))", at: value.mark)
            return nil
        }
        return number
    }

    func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = self[key] else { return nil }
        guard case .scalar(let text, let quoted) = value.kind, !quoted, let number = Double(text), number.isFinite else {
            problems.add("\(section).\(key) must be a number, found \(describe(value))", at: value.mark)
            return nil
        }
        guard range.contains(number) else {
            problems.add("\(section).\(key) must be between \(range.lowerBound) and \(range.upperBound), found \(text)", at: value.mark)
            return nil
        }
        return number
    }

    func boolean(_ key: String) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .scalar(let text, let quoted) = value.kind, !quoted, let flag = ["true": true, "false": false][text] else {
            problems.add("\(section).\(key) must be true or false, found \(describe(value))", at: value.mark)
            return nil
        }
        return flag
    }

    /// One of a fixed set of words, with a did-you-mean when it is close to one.
    func choice(_ key: String, among choices: [String]) -> String? {
        guard let value = self[key], let text = scalarString(value, key) else { return nil }
        guard choices.contains(text) else {
            problems.add("\(section).\(key): unknown value '\(text)'\(DidYouMean.hint(for: text, among: choices)); expected one of \(choices.joined(separator: ", "))", at: value.mark)
            return nil
        }
        return text
    }

    /// A list of strings; a single string is accepted as a one-element list.
    func strings(_ key: String) -> [String]? {
        guard let value = self[key] else { return nil }
        switch value.kind {
        case .scalar(let text, _): return [text]
        case .sequence(let items):
            var result: [String] = []
            for item in items {
                guard let text = item.scalar, !item.isNull else {
                    problems.add("\(section).\(key) must be a list of strings, found \(item.kindName) in it", at: item.mark)
                    return nil
                }
                result.append(text)
            }
            return result
        case .mapping:
            problems.add("\(section).\(key) must be a list of strings, found a mapping", at: value.mark)
            return nil
        }
    }

    private func describe(_ node: YAMLNode) -> String {
        if case .scalar(let text, let quoted) = node.kind { return quoted ? "the string \"\(text)\"" : "'\(text)'" }
        return node.kindName
    }
}
