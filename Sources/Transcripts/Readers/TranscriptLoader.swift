import Foundation

/// Reads any transcript file: checks its size, detects its format by content (or takes the forced one) and
/// hands it to that format's reader. A Kaldi data directory is read as one transcript.
public struct TranscriptLoader: Sendable {
    /// Every reader of a single file, in no particular order (detection ranks them by confidence).
    public static let fileReaders: [any TranscriptReader.Type] = [
        // Readers register here, one line each.
        WebVTTReader.self,
        SRTReader.self,
        PlainTextReader.self,
        TranscriberReader.self,
        TEIReader.self,
        WhisperJSONReader.self,
        TextGridReader.self,
        ELANReader.self,
        CHATReader.self,
        ORFEOReader.self,
    ]

    /// Larger inputs are refused before being read: a transcript of a whole day is a few MB, so this only
    /// stops mistakes (a video, a disk image) from taking the machine's memory.
    public var maximumFileSize: Int

    public init(maximumFileSize: Int = 256 << 20) {
        self.maximumFileSize = maximumFileSize
    }

    public func load(path: String, format forced: TranscriptFormat? = nil) throws -> Transcript {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TranscriptError(file: path, "no such file")
        }
        if isDirectory.boolValue {
            if forced == nil || forced == .kaldi, let kaldi = Self.directoryReader {
                return try kaldi(path)
            }
            throw TranscriptError(file: path, "is a directory (only a Kaldi data directory with text, segments and utt2spk is read as one transcript)")
        }
        let data = try readBounded(path: path)
        if forced == nil, Self.looksLikeRTTM(data) {
            throw TranscriptError(file: path, """
                an RTTM file holds who spoke when but no words: put the Whisper JSON of the same recording beside it, \
                named like it (\(TranscriptInputs.recordingName(of: path)).json or \(TranscriptInputs.recordingName(of: path)).*.json), \
                and its words get these speakers
                """)
        }
        if forced == nil || forced == .tei, TEIHeader.isHeaderOnly(data) {
            throw TranscriptError(file: path, """
                a TEI header without a transcript (<teiHeader>, no <text>): it is read with the transcript of the \
                same recording beside it (same base name, or the .orfeo whose sentence ids name it), not on its own
                """)
        }
        let reader = try chooseReader(data: data, path: path, forced: forced)
        return try reader.init().read(data: data, source: path)
    }

    /// Reads a transcript with its companions (see `TranscriptInputs`): a Whisper JSON merged with its
    /// diarization, a transcript named by its TEI header.
    public func load(input: TranscriptInput, format forced: TranscriptFormat? = nil) throws -> Transcript {
        var transcript: Transcript
        if let rttm = input.diarization, forced == nil || forced == .whisper {
            transcript = try DiarizedWhisper.read(whisper: try readBounded(path: input.path), whisperSource: input.path,
                                                  rttm: try readBounded(path: rttm), rttmSource: rttm)
        } else {
            transcript = try load(path: input.path, format: forced)
        }
        if let header = input.header {
            transcript = try TEIHeader.read(data: try readBounded(path: header), source: header).applied(to: transcript)
        }
        return transcript
    }

    /// NIST RTTM: `SPEAKER file channel start duration <NA> <NA> label <NA> <NA>` lines.
    static func looksLikeRTTM(_ data: Data) -> Bool {
        let head = String(decoding: data.prefix(1024), as: UTF8.self)
        let lines = head.split(separator: "\n").prefix(3)
        return !lines.isEmpty && lines.allSatisfy { $0.hasPrefix("SPEAKER ") && $0.split(separator: " ").count >= 9 }
    }

    /// Set by the Kaldi reader's registration: reads a data directory.
    static let directoryReader: (@Sendable (String) throws -> Transcript)? = { try KaldiReader.read(directory: $0) }

    func readBounded(path: String) throws -> Data {
        // Opening a FIFO for reading would wait for a writer forever, a device could be endless: regular files only.
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw TranscriptError(file: path, "is not a regular file (\(Self.fileKind(info.st_mode))); only regular files are read")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TranscriptError(file: path, "cannot be opened for reading (check its permissions)")
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        if size > maximumFileSize {
            throw TranscriptError(file: path, "is \(size) bytes, larger than the \(maximumFileSize)-byte limit for a transcript; split it or raise the limit")
        }
        try? handle.seek(toOffset: 0)
        // Read at most one byte past the limit, so a file growing while we read is still bounded.
        let data: Data
        do {
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw TranscriptError(file: path, "read failed (\(error.localizedDescription))")
        }
        if data.count > maximumFileSize {
            throw TranscriptError(file: path, "grew past the \(maximumFileSize)-byte limit while being read")
        }
        return data
    }

    /// What a non-regular file is, for messages.
    static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        default: return "not a regular file"
        }
    }

    func chooseReader(data: Data, path: String, forced: TranscriptFormat?) throws -> any TranscriptReader.Type {
        if let forced {
            guard let reader = Self.fileReaders.first(where: { $0.format == forced }) else {
                throw TranscriptError(file: path, "no reader for format '\(forced.rawValue)' in this build")
            }
            return reader
        }
        let name = (path as NSString).lastPathComponent
        let ranked = Self.fileReaders
            .map { (reader: $0, score: $0.confidence(data: data, fileName: name)) }
            .filter { $0.score > 0 }
            .max { $0.score < $1.score }
        guard let best = ranked else {
            throw TranscriptError(file: path, "format not recognised; pass --format (one of \(TranscriptFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return best.reader
    }
}
