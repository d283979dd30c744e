/// A `SourcePreparer` that keeps what it prepared until it is asked for it a second time, then lets it go: a
/// run counts every file's windows up front (for its progress bar) and the runner takes them from here
/// instead of reading and windowing each file twice.
public final class PreparedSourceCache: SourcePreparer {
    private let preparer: SourcePreparer
    private var kept: [String: PreparedSource] = [:]

    public init(_ preparer: SourcePreparer) {
        self.preparer = preparer
    }

    public func prepare(path: String, spec: PipelineSpec) throws -> PreparedSource {
        if let source = kept.removeValue(forKey: path) { return source }
        let source = try preparer.prepare(path: path, spec: spec)
        kept[path] = source
        return source
    }
}
