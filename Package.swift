// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "providerd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "providerd", targets: ["providerd"])
    ],
    // YAML: the config file (/etc/providerd/providerd.yaml), through swift-configuration's
    // YAML trait (Yams, which needs full Foundation and ICU). On by default and in the
    // package; scripts/bench-memory builds once without it to measure what it costs.
    traits: [
        .trait(name: "YAML", description: "Read the YAML config file (swift-configuration's YAML trait)."),
        .default(enabledTraits: ["YAML"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0",
            traits: [.trait(name: "YAML", condition: .when(traits: ["YAML"]))]),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // Budget alert hooks (and `providerd exec`): spawn, time limits, teardown.
        // No SubprocessFoundation trait: full Foundation is not needed for it.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // Metrics: swift-metrics' types, rendered as Prometheus text by swift-prometheus.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The management API: spec-first (openapi.yaml is the source of truth), served by Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // The dashboard's pages: server-rendered HTML from dashboard/templates.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(name: "CGlibcMalloc"),
        // The dashboard's static files (Chart.js above all), gzipped once at start.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // Turns migrations/*.sql (and later etc/prices.json) into Swift source at build
        // time, so an installed binary needs no source tree and the top-level files stay
        // the only copy.
        .executableTarget(name: "EmbedResources"),
        .plugin(
            name: "EmbedResourcesPlugin",
            capability: .buildTool(),
            dependencies: ["EmbedResources"]
        ),
        // Types and the server protocol generated from Sources/ProviderdAPI/openapi.yaml
        // at build time: the code cannot drift from the document.
        .target(
            name: "ProviderdAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "ProviderdCore",
            dependencies: [
                "CLibPQ", "COpenSSL", "CSystemd", "CGlibcMalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            plugins: ["EmbedResourcesPlugin"]
        ),
        // The management API (`providerd dashboard`): Hummingbird serving the handlers
        // generated from ProviderdAPI's document, over ProviderdCore's stores. A
        // target of its own: OpenAPIRuntime brings full Foundation, which the
        // sidecar's code in ProviderdCore keeps out.
        .target(
            name: "ProviderdDashboard",
            dependencies: [
                "ProviderdCore", "ProviderdAPI", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The pages' templates and static files (dashboard/), embedded.
            plugins: ["EmbedResourcesPlugin"]
        ),
        .executableTarget(
            name: "providerd",
            dependencies: [
                "ProviderdCore", "ProviderdDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fuzzing (scripts/fuzz): the property checks, and the libFuzzer entry point
        // (a corpus replayer when built without -sanitize=fuzzer).
        .target(
            name: "ProviderdFuzzChecks",
            dependencies: ["ProviderdCore"]
        ),
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(
            name: "ProviderdFuzz",
            dependencies: ["ProviderdFuzzChecks", "CLibFuzzer"]
        ),
        // Real-process helpers the test targets share: Python, psql, the built binary,
        // throwaway databases on the cluster scripts/test starts.
        .target(
            name: "TestSupport",
            dependencies: ["ProviderdCore"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "ProviderdCoreTests",
            dependencies: [
                "ProviderdCore", "TestSupport", "ProviderdFuzzChecks",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ProviderdDashboardTests",
            dependencies: ["ProviderdDashboard", "ProviderdAPI", "ProviderdCore", "TestSupport"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ProviderdCore", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Upcoming language features on every Swift target: `any` spelled out for
// existentials, and members visible only from modules a file imports itself.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"),
        ]
}
