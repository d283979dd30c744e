/// One thing wrong in a pipeline file, at a line and column.
public struct PipelineProblem: Sendable, CustomStringConvertible, Equatable {
    public let file: String
    public let mark: SourceMark
    public let message: String

    public init(file: String, mark: SourceMark, message: String) {
        self.file = file
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(file):\(mark): \(message)" }
}

/// Loading a pipeline failed; `problems` lists every problem found, in file order, not just the first.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let problems: [PipelineProblem]

    public init(problems: [PipelineProblem]) { self.problems = problems }

    /// The first problem on one line, plus how many more there are (the CLI prints all of them for `validate`).
    public var description: String {
        guard let first = problems.first else { return "invalid pipeline" }
        return problems.count == 1 ? first.description : "\(first.description) (and \(problems.count - 1) more problems)"
    }
}

/// Collects problems while a pipeline is decoded, so that one pass reports all of them.
final class ProblemList {
    let file: String
    private(set) var problems: [PipelineProblem] = []

    init(file: String) { self.file = file }

    func add(_ message: String, at mark: SourceMark) {
        problems.append(PipelineProblem(file: file, mark: mark, message: message))
    }

    var sorted: [PipelineProblem] {
        problems.enumerated().sorted { a, b in
            (a.element.mark.line, a.element.mark.column, a.offset) < (b.element.mark.line, b.element.mark.column, b.offset)
        }.map(\.element)
    }
}
