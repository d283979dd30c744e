import Crypto

/// Seeds for each (source, window, step, sample), derived from the pipeline's seed so reruns reproduce the
/// same text whatever order, batch or subset of windows is processed: the first 8 bytes of
/// SHA-256("claire-pipeline seed v1\0<base>\0<source>\0<window>\0<step>"), big-endian, for the first sample
/// (so the seeds of one-sample steps are what they always were), with "\0<sample>" appended for the others.
public enum SeedDerivation {
    public static func seed(base: UInt64, source: String, window: Int, step: String, sample: Int = 0) -> UInt64 {
        var text = "claire-pipeline seed v1\u{0}\(base)\u{0}\(source)\u{0}\(window)\u{0}\(step)"
        if sample > 0 { text += "\u{0}\(sample)" }
        return SHA256.hash(data: Array(text.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
