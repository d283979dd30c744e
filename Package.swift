// swift-tools-version: 6.1
import PackageDescription

/// Hot numeric code is built without exclusivity checks; everything else keeps Swift's defaults.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "claire-pipeline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "claire-pipeline", targets: ["ClairePipelineCLI"]),
        .library(name: "ClairePipeline", targets: ["Tokenization", "ModelFiles", "Engine", "Transcripts", "Pipelines"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Scale-out only (`daemon --state postgres://…`), in its own target so the core build does not pay for it.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C system libraries, each wrapped once (see the module maps).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // One module per concern.
        // Our own C: quantized block kernels with AVX2 bodies chosen at run time.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: numericSettings),
        .target(name: "Tokenization", swiftSettings: numericSettings),
        .target(name: "ModelFiles", dependencies: ["Kernels", "Tokenization"], swiftSettings: numericSettings),
        .target(name: "Engine", dependencies: ["Kernels", "ModelFiles", "Tokenization"], swiftSettings: numericSettings),
        .target(name: "Transcripts", dependencies: ["CLibXML2", "Tokenization"]),
        .target(
            name: "Pipelines",
            dependencies: [
                "CYAML", "Engine", "Kernels", "ModelFiles", "Tokenization", "Transcripts",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The TGI- and OpenAI-compatible HTTP server, talking to the engine through `ServingEngine`.
        .target(
            name: "Serving",
            dependencies: [
                "Engine", "ModelFiles", "Tokenization",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Pipelines' `TextGenerating` over a TGI or OpenAI-compatible server.
        .target(
            name: "RemoteBackends",
            dependencies: [
                "Pipelines", "Engine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The shared queue for several daemons on several hosts (`--state postgres://…`).
        .target(
            name: "PostgresLedger",
            dependencies: [
                "Pipelines",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The daemon's `--http` endpoint: health, Prometheus metrics and a status page.
        .target(
            name: "DaemonHTTP",
            dependencies: [
                "Pipelines",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ClairePipelineCLI",
            dependencies: [
                "Tokenization", "ModelFiles", "Engine", "Transcripts", "Pipelines", "Kernels", "Serving", "RemoteBackends", "PostgresLedger", "DaemonHTTP",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/CLI"
        ),

        // Locates ../shared and the fixtures for every test target, and makes the scratch directories tests remove.
        .target(name: "TestSupport", path: "Sources/TestSupport"),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CKernels", "ModelFiles", "TestSupport"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "ModelFiles", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "Kernels", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Kernels", "ModelFiles", "Tokenization", "TestSupport"]),
        .testTarget(name: "TranscriptsTests", dependencies: ["Transcripts", "Tokenization", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["ClairePipelineCLI", "TestSupport"]),
        .testTarget(name: "ServingTests", dependencies: ["ClairePipelineCLI", "TestSupport"],
                    exclude: ["Clients"]),
        .testTarget(name: "PostgresLedgerTests", dependencies: ["PostgresLedger", "Pipelines", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
