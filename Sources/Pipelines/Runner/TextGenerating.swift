import Engine

/// One prompt to complete: a window of a file under one step, one sample of it.
public struct GenerationJob: Sendable {
    /// The runner's own key for the job; generators hand it back untouched.
    public var id: Int
    public var prompt: String
    public var generation: GenerationSpec
    public var seed: UInt64

    public init(id: Int, prompt: String, generation: GenerationSpec, seed: UInt64) {
        self.id = id
        self.prompt = prompt
        self.generation = generation
        self.seed = seed
    }
}

/// What one generation produced.
public struct StepGeneration: Sendable {
    public var promptTokens: Int
    public var text: String
    public var generatedTokens: Int
    public var stopReason: StopReason
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    public init(promptTokens: Int, text: String, generatedTokens: Int, stopReason: StopReason, prefillSeconds: Double, decodeSeconds: Double) {
        self.promptTokens = promptTokens
        self.text = text
        self.generatedTokens = generatedTokens
        self.stopReason = stopReason
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
    }
}

/// The model side of a run, loaded once and shared by every window: the in-process engine or a remote server.
///
/// Work is pulled, not pushed: `run` asks `next()` for a job whenever it has room for one (a free sequence in
/// the batch, a free request slot), so the caller prepares files only as fast as they are consumed, and keeps
/// every slot busy across windows, steps and files. A job's outcome reaches `finished` on the thread that
/// called `run`, in completion order; the output a job produces must not depend on what ran beside it.
public protocol TextGenerating: AnyObject {
    /// Names the model in output records (its path, or the backend's URL).
    var modelName: String { get }
    /// A remote backend's kind and URL (`["backend": "tgi", "url": "http://…"]`), recorded in every output
    /// record; nil for the in-process engine.
    var remoteDescription: [String: String]? { get }
    /// How many jobs `run` keeps in flight at most.
    var concurrency: Int { get }
    /// Runs jobs until `next()` returns nil and every started job has finished. A job's own failure (a prompt
    /// too long, a server that kept failing) goes to `finished` as `.failure`; an error thrown by `next` or
    /// `finished` stops the run (jobs in flight are abandoned) and is rethrown.
    func run(next: () throws -> GenerationJob?, finished: (GenerationJob, Result<StepGeneration, Error>) throws -> Void) throws
}

extension TextGenerating {
    public var remoteDescription: [String: String]? { nil }

    /// One job on its own.
    public func generate(prompt: String, generation: GenerationSpec, seed: UInt64) throws -> StepGeneration {
        var pending: GenerationJob? = GenerationJob(id: 0, prompt: prompt, generation: generation, seed: seed)
        var outcome: Result<StepGeneration, Error>?
        try run(next: { defer { pending = nil }; return pending }, finished: { outcome = $1 })
        guard let outcome else { throw CancellationError() }
        return try outcome.get()
    }
}
