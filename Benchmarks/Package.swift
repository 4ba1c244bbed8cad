// swift-tools-version:6.1
import PackageDescription

// In-process micro-benchmarks of the sensor's hot path (ordo-one/benchmark), beside the
// side-by-side scripts in this folder. A package of its own, so that building and testing the
// sensor never builds the benchmark harness:
//
//     swift package --package-path Benchmarks benchmark
let package = Package(
    name: "session-sensor-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "session-sensor"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SensorCore", package: "session-sensor"),
                .product(name: "SensorModel", package: "session-sensor"),
            ],
            path: "HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
