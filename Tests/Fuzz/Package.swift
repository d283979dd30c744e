// swift-tools-version: 6.1
// libFuzzer targets for every parser of untrusted input. A package of its own, so that the main build and
// `swift test` never see the fuzzer's entry point; `run.sh` builds it with `-sanitize=fuzzer,address`.
import PackageDescription

let package = Package(
    name: "claire-fuzz",
    dependencies: [.package(name: "claire-pipeline", path: "../..")],
    targets: [
        .executableTarget(
            name: "ClaireFuzz",
            dependencies: [.product(name: "ClairePipeline", package: "claire-pipeline")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
