/// A command-line failure whose message is already the one line to print after `error: `.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
