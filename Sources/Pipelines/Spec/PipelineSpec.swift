import Foundation

/// A pipeline file, decoded and checked: everything `run` and `daemon` need, with defaults filled in.
///
/// Relative paths (input paths, model path, output dir) are resolved against the CURRENT DIRECTORY, like every
/// other path given on the command line; the shipped pipelines therefore run from the repository root.
public struct PipelineSpec: Sendable {
    public var name: String
    /// The pipeline file this was loaded from.
    public var file: String
    /// Base seed: each window's seed is derived from it and the window's identity (see `SeedDerivation`).
    public var seed: UInt64
    public var input: InputSpec
    public var normalize: NormalizeSpec
    public var chunk: ChunkSpec
    public var model: ModelSpec
    public var steps: [StepSpec]
    public var output: OutputSpec
    public var schedule: ScheduleSpec?
}

public struct InputSpec: Sendable {
    public var paths: [String]
    public var formats: InputFormats
    /// File-name patterns (`*.vtt`), all files when empty.
    public var include: [String]
}

public struct NormalizeSpec: Sendable {
    public enum Speakers: String, Sendable, CaseIterable { case named, intervenant, dash, none }
    public enum Casing: String, Sendable, CaseIterable { case keep, lower, asr }
    public enum Events: String, Sendable, CaseIterable { case drop, keep }
    public var speakers: Speakers = .intervenant
    public var casing: Casing = .keep
    public var events: Events = .drop
}

public struct ChunkSpec: Sendable {
    /// Window size in Falcon tokens, prompt template included.
    public var window = 2048
    /// Tokens kept free in each window for generation.
    public var reserve = 200
    /// Turns repeated at the start of the next window for context.
    public var overlapTurns = 1
}

public struct ModelSpec: Sendable {
    /// The model file or folder the in-process engine loads. For a remote backend, where Falcon's tokenizer is
    /// read from to count windows (`model.tokenizer`, else `model.path`).
    public var path: String
    public var quantize: String?
    /// Worker threads, 0 for one per core.
    public var threads = 0
    /// Sequences generated together (`model.batch`); nil chooses from cores and memory.
    public var batch: Int?
    /// Nil: the in-process engine. Otherwise the server that generates.
    public var remote: RemoteModelSpec?

    public init(path: String, quantize: String? = nil, threads: Int = 0, batch: Int? = nil, remote: RemoteModelSpec? = nil) {
        self.path = path
        self.quantize = quantize
        self.threads = threads
        self.batch = batch
        self.remote = remote
    }
}

/// `model: {backend: tgi | openai, url, api_key_env, concurrency, timeout, retries}`: a server generates instead of
/// the in-process engine; windows are still cut and counted here with Falcon's tokenizer.
public struct RemoteModelSpec: Sendable, Equatable {
    public enum Backend: String, Sendable, CaseIterable {
        /// Text Generation Inference's `POST /generate` (TGI, `claire-pipeline serve`).
        case tgi
        /// OpenAI's `POST /v1/completions` (vLLM, llama.cpp's llama-server, `claire-pipeline serve`).
        case openai
    }

    public var backend: Backend
    /// The server's base URL (`http://gpu-box:8080`; for openai, without `/v1`).
    public var url: String
    /// The environment variable holding the API key sent as `Authorization: Bearer`; nil sends none.
    public var apiKeyEnv: String?
    /// Requests in flight at once.
    public var concurrency = 4
    /// Seconds one request may take before it counts as failed (and is retried).
    public var timeoutSeconds = 120
    /// Tries per window before its failure is reported (connection errors, 5xx and 429 are retried).
    public var attempts = 5
    /// Refuse a server whose model does not use Falcon's tokenizer (off only for a Falcon fine-tune under
    /// another name).
    public var checkTokenizer = true

    public init(backend: Backend, url: String) {
        self.backend = backend
        self.url = url
    }
}

public enum StepKind: String, Sendable, CaseIterable {
    /// Continue the dialogue window.
    case continuation
    /// Frame the window and open a summary.
    case summarize
    /// End the prompt with the next speaker's tag and stop at the next turn.
    case completeTurn = "complete-turn"
}

/// Sampling parameters for one step; defaults follow the Claire model card.
public struct GenerationSpec: Sendable, Equatable {
    public var maxNewTokens = 200
    public var temperature = 1.0
    public var topK = 10
    public var topP = 1.0
    public var repetitionPenalty = 1.0
    public var greedy = false
    /// Overrides the pipeline seed as the base of this step's derived seeds.
    public var seed: UInt64?
    public var stop: [String] = []
    /// Generations per window (the model card's `num_return_sequences`), each with its own seed; they share the
    /// window's prefill.
    public var samples = 1
}

public struct StepSpec: Sendable {
    public var id: String
    public var kind: StepKind
    public var template: PromptTemplate
    public var generation: GenerationSpec
}

public struct OutputSpec: Sendable {
    public var dir: String
    /// JSON lines always; Markdown as well when true.
    public var markdown = false
}

public enum ScheduleSpec: Sendable, Equatable {
    case every(ScheduleInterval)
    case cron(CronExpression)
}
