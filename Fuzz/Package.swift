// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for everything that reads bytes from outside: one executable, the target
// picked by FUZZ_TARGET (see SensorFuzz/Targets.swift). A package of its own, built with the
// sanitizers by scripts/fuzz.sh, so that the sensor's own build and tests never carry them:
//
//     scripts/fuzz.sh [seconds]
let package = Package(
    name: "session-sensor-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "session-sensor"),
    ],
    targets: [
        .executableTarget(
            name: "SensorFuzz",
            dependencies: [
                .product(name: "SensorModel", package: "session-sensor"),
                .product(name: "SensorCore", package: "session-sensor"),
                .product(name: "IngestStore", package: "session-sensor"),
                .product(name: "Normalization", package: "session-sensor"),
                .product(name: "Explorer", package: "session-sensor"),
                .product(name: "IngestCore", package: "session-sensor"),
            ],
            path: "SensorFuzz",
            // libFuzzer brings `main`; the entry point is LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
