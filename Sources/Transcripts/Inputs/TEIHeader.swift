import Foundation

/// A TEI file that only describes a recording (`<teiHeader>` with `<particDesc>`, no `<text>`): ORFEO/CEFC
/// ships one beside each `.orfeo`. It names the speakers (`<person xml:id>`, `<persName>`, a `role`
/// attribute or `<roleName>`) and states title and licence.
struct TEIHeader: Sendable, Equatable {
    struct Person: Sendable, Equatable {
        var id: String
        var name: String?
        var role: String?
    }

    var persons: [Person] = []
    var title: String?
    var licence: String?

    /// Whether `data` is a TEI header alone: a `<teiHeader>` and no `<text>` in the whole file.
    static func isHeaderOnly(_ data: Data) -> Bool {
        // `<textClass>` belongs to the header: only `<text>` or `<text …>` is a body.
        ByteSearch.contains(data, within: 4096, "<teiHeader") && !ByteSearch.contains(data, within: data.count, "<text>")
            && !ByteSearch.contains(data, within: data.count, "<text ")
    }

    static func read(data: Data, source: String) throws -> TEIHeader {
        var header = TEIHeader()
        var person: Person?
        var collecting: String?  // the element whose text is being gathered
        var text = ""
        try XMLStream.walk(data, source: source) { event in
            switch event {
            case .start(let name, let attributes):
                switch name {
                case "person":
                    person = Person(id: attributes["xml:id"] ?? attributes["id"] ?? "", role: attributes["role"])
                case "persName", "roleName" where person != nil:
                    collecting = name; text = ""
                case "title" where header.title == nil:
                    collecting = name; text = ""
                case "licence":
                    header.licence = attributes["target"]
                default: break
                }
            case .text(let chunk):
                if collecting != nil { text += chunk }
            case .end(let name):
                if name == collecting {
                    let value = TypographyNormalizer.collapseWhitespace(text)
                    if !value.isEmpty {
                        switch name {
                        case "persName": person?.name = value
                        case "roleName": person?.role = value
                        default: header.title = value
                        }
                    }
                    collecting = nil
                }
                if name == "person", let p = person {
                    if !p.id.isEmpty { header.persons.append(p) }
                    person = nil
                }
            }
        }
        return header
    }

    /// The transcript with the header's names and roles on its speakers (matched by id), and its title
    /// and licence in the metadata. A person without `<persName>` is named by an id that is a name
    /// (`Anita_Musso` → `Anita Musso`), never by an anonymous label (`L1`).
    func applied(to transcript: Transcript) -> Transcript {
        var result = transcript
        for person in persons {
            guard let index = result.speakers.firstIndex(where: { $0.id == person.id }) else { continue }
            let idName = person.id.replacingOccurrences(of: "_", with: " ")
            if let name = person.name ?? (SpeakerNames.isAnonymous(idName) ? nil : idName) { result.speakers[index].name = name }
            if let role = person.role { result.speakers[index].role = role }
        }
        if let title { result.metadata["title"] = title }
        if let licence { result.metadata["licence"] = licence }
        return result
    }
}
