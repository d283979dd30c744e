/// Collects speakers in order of first appearance while a reader walks a file.
struct SpeakerTable {
    private(set) var speakers: [Speaker] = []
    private var index: [String: Int] = [:]

    /// The id for `label`, registering it on first sight; `name` is kept when the label is a human name.
    @discardableResult
    mutating func add(id: String, name: String? = nil, role: String? = nil) -> String {
        if let i = index[id] {
            if speakers[i].name == nil, let name { speakers[i].name = name }
            return id
        }
        index[id] = speakers.count
        speakers.append(Speaker(id: id, name: name, role: role))
        return id
    }
}
