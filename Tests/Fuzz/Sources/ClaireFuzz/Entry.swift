import Foundation

/// libFuzzer's two entry points. One binary serves every target so that the project is built (and linked
/// with the sanitizers) once; `CLAIRE_FUZZ_TARGET` names the target, as `run.sh` sets it.
///
/// A target returns normally for inputs we reject with an error, which is the expected outcome for almost
/// every mutated input; what the fuzzer hunts is a crash, a sanitizer report, a hang (`-timeout`) or memory
/// growth (`-rss_limit_mb`).
enum Harness {
    nonisolated(unsafe) static var target: FuzzTarget!
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    let name = ProcessInfo.processInfo.environment["CLAIRE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("set CLAIRE_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    do {
        try target.prepare()
    } catch {
        FileHandle.standardError.write(Data("\(name): cannot prepare: \(error)\n".utf8))
        exit(2)
    }
    Harness.target = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    Harness.target.run(Data(bytes: bytes, count: count))
    return 0
}

/// The process entry point. SwiftPM links an executable target's `main` to `<Target>_main`, so libFuzzer's
/// own `main` is never pulled in; this one hands the command line to libFuzzer's driver instead.
@_cdecl("ClaireFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzerTestOneInput)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32
