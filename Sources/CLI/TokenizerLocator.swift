import Foundation
import Tokenization

/// Finds the tokenizer of a path given on the command line.
enum TokenizerLocator {
    static func load(path: String) throws -> FalconTokenizer {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CLIError("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            let json = url.appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: json.path) else {
                throw CLIError("\(path): no tokenizer.json in this directory")
            }
            return try FalconTokenizer(contentsOf: json)
        }
        return try FalconTokenizer(contentsOf: url)
    }
}
