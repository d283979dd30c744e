import Foundation
import Kernels
import Transcripts

/// Decodes a pipeline file into a `PipelineSpec`, reporting every problem with its line and column.
public enum PipelineLoader {
    /// Loads and checks `path`; throws `PipelineError` listing all problems, or `YAMLError` for bad syntax.
    /// `checkModelExists` is off only for tests and `--model` overrides.
    public static func load(path: String, checkModelExists: Bool = true) throws -> PipelineSpec {
        let root = try YAMLParser.parse(contentsOf: URL(fileURLWithPath: path), displayName: path)
        return try decode(root, file: path, checkModelExists: checkModelExists)
    }

    public static func decode(_ root: YAMLNode, file: String, checkModelExists: Bool = true) throws -> PipelineSpec {
        let problems = ProblemList(file: file)
        let spec = decodeRoot(root, file: file, problems: problems, checkModelExists: checkModelExists)
        if let spec, problems.problems.isEmpty { return spec }
        throw PipelineError(problems: problems.sorted)
    }

    private static let rootKeys = ["name", "seed", "input", "normalize", "chunk", "model", "steps", "output", "schedule"]

    private static func decodeRoot(_ root: YAMLNode, file: String, problems: ProblemList, checkModelExists: Bool) -> PipelineSpec? {
        guard let map = MappingReader(root, section: "the pipeline", keys: rootKeys, problems: problems) else { return nil }
        let fallbackName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let name = map.string("name") ?? fallbackName
        let seed = map.unsigned("seed") ?? 0
        let input = map.required("input").flatMap { decodeInput($0, problems) }
        let normalize = map["normalize"].map { decodeNormalize($0, problems) } ?? NormalizeSpec()
        let chunk = map["chunk"].map { decodeChunk($0, problems) } ?? ChunkSpec()
        let model = map.required("model").flatMap { decodeModel($0, problems, checkExists: checkModelExists) }
        let steps = map.required("steps").flatMap { decodeSteps($0, problems) }
        let output = map.required("output").flatMap { decodeOutput($0, problems) }
        let schedule = map["schedule"].flatMap { decodeSchedule($0, problems) }
        // Cross-field check, only once every field read cleanly (a broken value would report twice).
        if problems.problems.isEmpty, let steps, let generationBudget = steps.map(\.generation.maxNewTokens).max(), generationBudget > chunk.reserve,
           let node = map["chunk"] ?? map["steps"] {
            problems.add("a step generates up to \(generationBudget) tokens but chunk.reserve keeps only \(chunk.reserve) free in each window; raise chunk.reserve", at: node.mark)
        }
        guard let input, let model, let steps, let output else { return nil }
        return PipelineSpec(name: name, file: file, seed: seed, input: input, normalize: normalize, chunk: chunk,
                            model: model, steps: steps, output: output, schedule: schedule)
    }

    private static func decodeInput(_ node: YAMLNode, _ problems: ProblemList) -> InputSpec? {
        guard let map = MappingReader(node, section: "input", keys: ["paths", "formats", "include"], problems: problems) else { return nil }
        guard let pathsNode = map.required("paths"), let paths = map.strings("paths") else { return nil }
        if paths.isEmpty { problems.add("input.paths is empty", at: pathsNode.mark) }
        let formats = map.strings("formats") ?? ["auto"]
        if let node = map["formats"] {
            for format in formats where !InputFormats.names.contains(format) {
                problems.add("input.formats: unknown format '\(format)'\(DidYouMean.hint(for: format, among: InputFormats.names)); known: \(InputFormats.names.joined(separator: ", "))", at: node.mark)
            }
        }
        return InputSpec(paths: paths, formats: InputFormats(names: formats), include: map.strings("include") ?? [])
    }

    private static func decodeNormalize(_ node: YAMLNode, _ problems: ProblemList) -> NormalizeSpec {
        var spec = NormalizeSpec()
        guard let map = MappingReader(node, section: "normalize", keys: ["speakers", "casing", "events"], problems: problems) else { return spec }
        if let value = map.choice("speakers", among: NormalizeSpec.Speakers.allCases.map(\.rawValue)) { spec.speakers = .init(rawValue: value)! }
        if let value = map.choice("casing", among: NormalizeSpec.Casing.allCases.map(\.rawValue)) { spec.casing = .init(rawValue: value)! }
        if let value = map.choice("events", among: NormalizeSpec.Events.allCases.map(\.rawValue)) { spec.events = .init(rawValue: value)! }
        return spec
    }

    private static func decodeChunk(_ node: YAMLNode, _ problems: ProblemList) -> ChunkSpec {
        var spec = ChunkSpec()
        guard let map = MappingReader(node, section: "chunk", keys: ["window", "reserve", "overlap_turns"], problems: problems) else { return spec }
        if let value = map.integer("window", in: 16...1_048_576) { spec.window = value }
        if let value = map.integer("reserve", in: 0...1_048_576) { spec.reserve = value }
        if let value = map.integer("overlap_turns", in: 0...1000) { spec.overlapTurns = value }
        if spec.reserve >= spec.window {
            problems.add("chunk.reserve (\(spec.reserve)) must be smaller than chunk.window (\(spec.window))", at: node.mark)
        }
        return spec
    }

    private static let modelKeys = ["path", "quantize", "threads", "batch", "backend", "url", "api_key_env", "concurrency", "timeout",
                                    "retries", "tokenizer", "check_tokenizer"]

    private static func decodeModel(_ node: YAMLNode, _ problems: ProblemList, checkExists: Bool) -> ModelSpec? {
        guard let map = MappingReader(node, section: "model", keys: modelKeys, problems: problems) else { return nil }
        let chosen = map.choice("backend", among: ["engine"] + RemoteModelSpec.Backend.allCases.map(\.rawValue))
        // An unknown backend is reported once, not again as "missing path" or "remote fields given".
        if chosen == nil, map["backend"] != nil { return nil }
        let backend = chosen ?? "engine"
        let remote = RemoteModelSpec.Backend(rawValue: backend)
        if remote == nil {
            for key in ["url", "api_key_env", "concurrency", "timeout", "retries", "tokenizer", "check_tokenizer"] {
                if let keyNode = map[key] {
                    problems.add("model.\(key) applies to a remote backend only; set model.backend to tgi or openai", at: keyNode.mark)
                }
            }
        }
        // The in-process engine loads model.path; a remote backend reads Falcon's tokenizer from model.tokenizer
        // (a tokenizer.json, a .gguf or a model folder), else from model.path.
        let pathKey = remote != nil && map["tokenizer"] != nil ? "tokenizer" : "path"
        guard let pathNode = remote == nil ? map.required("path") : (map[pathKey] ?? { () -> YAMLNode? in
            problems.add("model.backend \(backend) needs model.tokenizer: a tokenizer.json, a .gguf or a model folder holding Falcon's tokenizer (windows are counted here, e.g. Samples/models/claire-tiny-fr.Q8_0.gguf, whose tokenizer is Claire's)", at: node.mark)
            return nil
        }()), let path = map.string(pathKey) else { return nil }
        if checkExists, !FileManager.default.fileExists(atPath: path) {
            let cwd = FileManager.default.currentDirectoryPath
            problems.add("model.\(pathKey) '\(path)' does not exist (relative paths are resolved against the current directory, \(cwd))", at: pathNode.mark)
        }
        let quantize = map.choice("quantize", among: ["none"] + TensorType.fileTypes.filter(\.isQuantized).map(\.argumentName))
        let threads = map.integer("threads", in: 0...1024) ?? 0
        let batch = map.integer("batch", in: 1...256)
        var spec = ModelSpec(path: path, quantize: quantize == "none" ? nil : quantize, threads: threads, batch: batch)
        if let remote {
            guard let urlNode = map.required("url"), let url = map.string("url") else { return nil }
            if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil {
                var remoteSpec = RemoteModelSpec(backend: remote, url: url.hasSuffix("/") ? String(url.dropLast()) : url)
                remoteSpec.apiKeyEnv = map.string("api_key_env")
                remoteSpec.concurrency = map.integer("concurrency", in: 1...1024) ?? remoteSpec.concurrency
                remoteSpec.attempts = (map.integer("retries", in: 0...100) ?? remoteSpec.attempts - 1) + 1
                remoteSpec.checkTokenizer = map.boolean("check_tokenizer") ?? true
                if let timeoutNode = map["timeout"], let text = map.string("timeout") {
                    switch ScheduleInterval.parse(text) {
                    case .success(let interval) where interval.seconds > 0: remoteSpec.timeoutSeconds = interval.seconds
                    case .success: problems.add("model.timeout must be longer than 0s", at: timeoutNode.mark)
                    case .failure(let error): problems.add("model.timeout: \(error)", at: timeoutNode.mark)
                    }
                }
                spec.remote = remoteSpec
            } else {
                problems.add("model.url '\(url)' is not an http:// or https:// URL with a host", at: urlNode.mark)
            }
        }
        return spec
    }

    private static func decodeSteps(_ node: YAMLNode, _ problems: ProblemList) -> [StepSpec]? {
        guard case .sequence(let items) = node.kind else {
            problems.add("steps must be a list of steps, found \(node.kindName)", at: node.mark)
            return nil
        }
        if items.isEmpty { problems.add("steps is empty: a pipeline needs at least one step", at: node.mark) }
        var steps: [StepSpec] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let step = decodeStep(item, index: index, problems) else { continue }
            if !seen.insert(step.id).inserted {
                problems.add("duplicate step id '\(step.id)'", at: item.mark)
            }
            steps.append(step)
        }
        return steps.count == items.count ? steps : nil
    }

    private static let stepKeys = ["id", "kind", "template", "generation"]

    private static func decodeStep(_ node: YAMLNode, index: Int, _ problems: ProblemList) -> StepSpec? {
        guard let map = MappingReader(node, section: "steps[\(index)]", keys: stepKeys, problems: problems) else { return nil }
        let kind = map.required("kind").flatMap { _ in map.choice("kind", among: StepKind.allCases.map(\.rawValue)) }.flatMap(StepKind.init(rawValue:))
        var id = map.string("id")
        if let idNode = map["id"], let text = id, text.isEmpty || text.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problems.add("steps[\(index)].id '\(text)' must be letters, digits, '-' or '_' (it names output files)", at: idNode.mark)
            id = nil
        }
        var template: PromptTemplate?
        let templateText = map.string("template") ?? kind.map(StepDefaults.template(for:))
        if let templateText {
            do {
                template = try PromptTemplate(templateText)
            } catch let problem as PromptTemplate.Problem {
                let mark = map["template"]?.mark ?? node.mark
                problems.add("steps[\(index)].template line \(problem.line), column \(problem.column): \(problem.message)", at: mark)
            } catch {
                problems.add("steps[\(index)].template: \(error)", at: map["template"]?.mark ?? node.mark)
            }
        }
        var generation = kind.map(StepDefaults.generation(for:)) ?? GenerationSpec()
        if let generationNode = map["generation"] {
            decodeGeneration(generationNode, section: "steps[\(index)].generation", into: &generation, problems)
        }
        guard let kind, let template else { return nil }
        return StepSpec(id: id ?? kind.rawValue, kind: kind, template: template, generation: generation)
    }

    private static let generationKeys = ["max_new_tokens", "temperature", "top_k", "top_p", "repetition_penalty", "greedy", "seed", "stop", "samples"]

    private static func decodeGeneration(_ node: YAMLNode, section: String, into spec: inout GenerationSpec, _ problems: ProblemList) {
        guard let map = MappingReader(node, section: section, keys: generationKeys, problems: problems) else { return }
        if let value = map.integer("max_new_tokens", in: 0...1_048_576) { spec.maxNewTokens = value }
        if let value = map.number("temperature", in: 0...100) { spec.temperature = value }
        if let value = map.integer("top_k", in: 0...1_000_000) { spec.topK = value }
        if let value = map.number("top_p", in: 0.000001...1) { spec.topP = value }
        if let value = map.number("repetition_penalty", in: 0.000001...100) { spec.repetitionPenalty = value }
        if let value = map.boolean("greedy") { spec.greedy = value }
        if let value = map.integer("samples", in: 1...64) { spec.samples = value }
        if let value = map.unsigned("seed") { spec.seed = value }
        if let value = map.strings("stop") {
            if let node = map["stop"], value.contains(where: \.isEmpty) { problems.add("\(section).stop holds an empty string", at: node.mark) }
            spec.stop = value
        }
    }

    private static func decodeOutput(_ node: YAMLNode, _ problems: ProblemList) -> OutputSpec? {
        guard let map = MappingReader(node, section: "output", keys: ["dir", "format", "markdown"], problems: problems) else { return nil }
        guard map.required("dir") != nil, let dir = map.string("dir") else { return nil }
        var spec = OutputSpec(dir: dir)
        if let format = map.choice("format", among: ["jsonl", "jsonl+markdown"]) { spec.markdown = format == "jsonl+markdown" }
        if let markdown = map.boolean("markdown") { spec.markdown = markdown }
        return spec
    }

    private static func decodeSchedule(_ node: YAMLNode, _ problems: ProblemList) -> ScheduleSpec? {
        guard let map = MappingReader(node, section: "schedule", keys: ["every", "cron"], problems: problems) else { return nil }
        if map["every"] != nil, map["cron"] != nil {
            problems.add("schedule: give either 'every' or 'cron', not both", at: node.mark)
            return nil
        }
        if let everyNode = map["every"], let text = map.string("every") {
            switch ScheduleInterval.parse(text) {
            case .success(let interval): return .every(interval)
            case .failure(let error): problems.add("schedule.every: \(error)", at: everyNode.mark)
            }
        } else if let cronNode = map["cron"], let text = map.string("cron") {
            switch CronExpression.parse(text) {
            case .success(let cron): return .cron(cron)
            case .failure(let error): problems.add("schedule.cron: \(error)", at: cronNode.mark)
            }
        } else if map["every"] == nil, map["cron"] == nil {
            problems.add("schedule needs 'every' (e.g. 10m) or 'cron' (e.g. \"*/10 * * * *\")", at: node.mark)
        }
        return nil
    }
}

/// Which readers a pipeline allows for its inputs (`input.formats`).
public enum InputFormats: Sendable, Equatable {
    /// By extension and content, among every reader (`[auto]`, the default).
    case auto
    /// Exactly this reader (one format named).
    case forced(TranscriptFormat)
    /// The one of these the file's content matches best (several named; `auto` among them adds nothing).
    case bestOf([TranscriptFormat])

    /// The names a pipeline may list.
    public static let names = ["auto"] + TranscriptFormat.allCases.map(\.rawValue)

    /// From checked names (unknown ones are reported by the loader and dropped here).
    init(names: [String]) {
        let formats = names.compactMap(TranscriptFormat.init(rawValue:))
        if names.count > 1 {
            self = .bestOf(formats)
        } else if let format = formats.first {
            self = .forced(format)
        } else {
            self = .auto
        }
    }
}

/// What each step kind does when the pipeline does not say.
public enum StepDefaults {
    public static func template(for kind: StepKind) -> String {
        switch kind {
        case .continuation: return "{{window}}\n"
        case .summarize: return "{{window}}\n\nRésumé de la conversation ci-dessus entre {{speaker_list}} :\n"
        case .completeTurn: return "{{window}}\n{{next_speaker}}"
        }
    }

    public static func generation(for kind: StepKind) -> GenerationSpec {
        var spec = GenerationSpec()
        switch kind {
        case .continuation: break
        case .summarize: spec.stop = ["\n\n"]
        case .completeTurn: spec.stop = ["\n"]
        }
        return spec
    }
}
