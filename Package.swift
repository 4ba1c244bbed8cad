// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "session-sensor",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sensor", targets: ["sensor"]),
        .executable(name: "sensor-ingest", targets: ["sensor-ingest"]),
        .library(name: "SensorModel", targets: ["SensorModel"]),
        .library(name: "SensorCore", targets: ["SensorCore"]),
        .library(name: "IngestStore", targets: ["IngestStore"]),
        .library(name: "Normalization", targets: ["Normalization"]),
        .library(name: "Access", targets: ["Access"]),
        .library(name: "Explorer", targets: ["Explorer"]),
        .library(name: "IngestCore", targets: ["IngestCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    ],
    targets: [
        // System libraries: the platform's own SQLite and zlib.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libdeflate: whole-buffer gzip, several times faster than zlib at the same ratio.
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        // GitHub's CommonMark, with its tables: the explorer's Markdown.
        .systemLibrary(name: "CCmarkGFM", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"]), .brew(["cmark-gfm"])]),
        // ISA-L's igzip: gzip at its fast levels (0-3) several times faster still, SIMD on x86 and Arm.
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"]), .brew(["isa-l"])]),
        // Hyperscan (Vectorscan on Arm and macOS): every redaction rule's literal found in one SIMD pass.
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs", providers: [.apt(["libhyperscan-dev"]), .brew(["vectorscan"])]),

        // A thin, honest wrapper over the SQLite C API (read-only opens, busy timeouts, prepared statements).
        .target(name: "SQLiteDB", dependencies: ["CSQLite"]),

        // Declarations, config layers, schema validation, path templates and the wire format.
        .target(
            name: "SensorModel",
            dependencies: [
                "CZlib", "CDeflate",
                .product(name: "Yams", package: "Yams"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The generic engine: discovery, readers, offsets, envelopes, redaction, checkpoints, shipping.
        .target(
            name: "SensorCore",
            dependencies: [
                "SensorModel", "SQLiteDB", "CZlib", "CDeflate", "CIsal", "CZstd", "CHyperscan",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "sensor",
            dependencies: [
                "SensorCore", "SensorModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The server, in rooms that follow the data: the store (raw custody, SQLite and
        // PostgreSQL, migrations, the search index), normalisation (normalisers, mappings,
        // pricing), identity and access (tokens, sign-ins, who may read what), the explorer
        // (server-rendered pages), and the server itself (routes, ingest, config, metrics).
        // OpenTelemetry's protocol messages (OTLP), generated once from opentelemetry-proto and committed.
        .target(
            name: "OTLP",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/README.md"]
        ),

        .target(
            name: "IngestStore",
            dependencies: [
                "SensorModel", "SQLiteDB", "CZlib", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Normalization",
            dependencies: [
                "IngestStore", "SensorModel", "SQLiteDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Access",
            dependencies: [
                "IngestStore", "Normalization",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Explorer",
            dependencies: [
                "IngestStore", "Normalization", "Access", "SQLiteDB",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "CCmarkGFM",
            ]
        ),
        .target(
            name: "IngestCore",
            dependencies: [
                "IngestStore", "Normalization", "Access", "Explorer",
                "SensorModel", "SQLiteDB", "CZlib", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MCP", package: "swift-sdk"),
                "OTLP",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "sensor-ingest",
            dependencies: [
                "IngestCore", "IngestStore", "Normalization", "Access", "SensorModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Shared by the test targets: temporary homes laid out from ../shared/fixtures, process helpers.
        .target(name: "SensorTestSupport", dependencies: ["SQLiteDB", "CZstd"], path: "Tests/SensorTestSupport"),

        .testTarget(name: "SensorModelTests", dependencies: ["SensorModel", "SensorTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SensorCoreTests", dependencies: ["SensorCore", "SensorModel", "SQLiteDB", "SensorTestSupport"]),
        .testTarget(
            name: "IngestCoreTests",
            dependencies: [
                "IngestCore", "IngestStore", "Normalization", "Access", "Explorer", "SensorModel", "SensorTestSupport", "CZlib", "CZstd",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "LiveModeTests", dependencies: ["SQLiteDB", "SensorTestSupport"]),
        .testTarget(name: "ShippingTests", dependencies: ["SensorCore", "SensorModel", "SensorTestSupport"],
                    exclude: ["fault_server.py"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SensorModel", "SQLiteDB", "SensorTestSupport"],
                    exclude: ["expected_normalized.py", "webhook_receiver.py", "cursor_admin_api.py"]),
    ]
)
