import Foundation
import Transcripts

/// Every transcript reader on its own (`transcript-<format>`), and `transcript-auto`: the loader's size
/// check, format detection and the chosen reader, as `prepare` and `run` use them.
let transcriptTargets: [FuzzTarget] =
    TranscriptLoader.fileReaders.map { reader in
        FuzzTarget(name: "transcript-\(reader.format.rawValue)") { input in
            _ = try reader.init().read(data: input, source: "fuzz.\(reader.format.rawValue)")
        }
    } + [
        FuzzTarget(name: "transcript-auto") { input in
            let path = Scratch.write(input, as: "transcript")
            _ = try TranscriptLoader().load(path: path)
        },
    ]
