import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport

/// A real `claire-pipeline serve` on a free loopback port, stopped (SIGTERM, then SIGKILL) by `stop`.
final class ServerProcess: @unchecked Sendable {
    static let model = SharedFiles.repositoryRoot.appendingPathComponent("Samples/models/claire-tiny-fr.Q8_0.gguf")

    let process = Process()
    private(set) var url = ""
    private let output = Pipe()
    private let errors = Pipe()
    private let collected = Collected()

    /// Starts the server and waits for its `listening on` line.
    init(_ extra: [String] = [], port: Int = 0) throws {
        guard let binary = Executables.clairePipeline else { throw ServingTestError("the claire-pipeline binary is not built beside the tests") }
        process.executableURL = binary
        process.arguments = ["serve", "--model", Self.model.path, "--port", String(port), "--threads", "2"] + extra
        process.standardOutput = output
        process.standardError = errors
        let collected = self.collected
        errors.fileHandleForReading.readabilityHandler = { handle in collected.appendError(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty {
                if !process.isRunning { break }
                continue
            }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                url = String(text[range.upperBound..<end])
                return
            }
        }
        stop()
        throw ServingTestError("serve did not start: \(text) \(collected.errorText)")
    }

    var stderr: String { collected.errorText }
    var pid: Int32 { process.processIdentifier }

    /// The server's resident memory, from /proc (Linux), in KiB.
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }

    /// SIGTERM and wait (SIGKILL after `grace` seconds); returns the exit status.
    @discardableResult
    func stop(grace: Double = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func kill9() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(pid, SIGKILL) } }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var errors = Data()
    func appendError(_ data: Data) { lock.withLock { errors.append(data) } }
    var errorText: String { lock.withLock { String(decoding: errors, as: UTF8.self) } }
}

struct ServingTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The Python with huggingface_hub and openai that Tests/Services/python-clients.sh prepared.
enum PythonClients {
    static var python: String? { ProcessInfo.processInfo.environment["CLAIRE_TEST_PYTHON"] }
    static let skipMessage = "CLAIRE_TEST_PYTHON is not set: run the suite with `Tests/run.sh swift test -c release -Xswiftc -enable-testing`, which prepares Python's huggingface_hub and openai clients"
    static let directory = SharedFiles.repositoryRoot.appendingPathComponent("Tests/ServingTests/Clients")

    /// Runs a client script and decodes the JSON object it prints.
    static func run(_ script: String, _ arguments: [String], python: String) throws -> [String: Any] {
        let result = try Executables.run(URL(fileURLWithPath: python), [directory.appendingPathComponent(script).path] + arguments)
        guard result.status == 0 else { throw ServingTestError("\(script) failed (\(result.status)): \(result.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
            throw ServingTestError("\(script) printed no JSON object: \(result.stdoutText)")
        }
        return object
    }
}

/// Plain HTTP, for what no client library shows.
enum HTTP {
    static func request(_ url: String, method: String = "GET", json: Any? = nil, headers: [String: String] = [:]) throws -> (status: Int, body: Data, headers: [String: String]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 120
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.value = (data, response as? HTTPURLResponse, error)
            done.signal()
        }.resume()
        done.wait()
        guard let (data, response, error) = box.value, let response else { throw box.value?.2 ?? ServingTestError("no response") }
        _ = error
        var fields: [String: String] = [:]
        for (key, value) in response.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
        return (response.statusCode, data ?? Data(), fields)
    }

    static func json(_ data: Data) -> [String: Any]? { try? JSONSerialization.jsonObject(with: data) as? [String: Any] }
}

private final class Box: @unchecked Sendable {
    var value: (Data?, HTTPURLResponse?, Error?)?
}
