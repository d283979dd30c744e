import Foundation
import ModelFiles
import Tokenization

/// Finds the tokenizer of a path given on the command line: a tokenizer.json, a `.gguf` file (its metadata
/// holds the vocabulary), or a model directory holding either.
enum TokenizerLocator {
    static func load(path: String) throws -> FalconTokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            let json = (path as NSString).appendingPathComponent("tokenizer.json")
            if FileManager.default.fileExists(atPath: json) { return try FalconTokenizer(contentsOf: URL(fileURLWithPath: json)) }
            return try OpenedModel.open(path: path).requireTokenizer()
        }
        if path.hasSuffix(".gguf") { return try FalconTokenizer(gguf: GGUFFile(path: path)) }
        return try FalconTokenizer(contentsOf: URL(fileURLWithPath: path))
    }
}
