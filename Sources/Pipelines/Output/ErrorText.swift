import Foundation

/// An error as one line, for logs, manifests and the command line alike: ours describe themselves; others
/// fall back to Foundation's description.
public enum ErrorText {
    public static func oneLine(_ error: Error) -> String {
        if let described = error as? CustomStringConvertible {
            return described.description.replacingOccurrences(of: "\n", with: " ")
        }
        return error.localizedDescription
    }
}
