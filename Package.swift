// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "esms",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "esms", targets: ["esms"]),
        .library(name: "Rules", targets: ["Rules"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // The programme's rules as code: standard library and Foundation value types only.
        .target(
            name: "Rules",
            resources: [.copy("Campaigns")]
        ),
        // The public FINESS files and the nomenclatures: no I/O beyond the bytes it is given.
        .target(name: "Registry", dependencies: ["Rules"], resources: [.copy("Nomenclature")]),
        // What users create and import, in SQLite (embedded) or PostgreSQL (shared), in transactions.
        .target(
            name: "Store",
            dependencies: [
                "Rules", "Registry",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                // SQLiteBulk imports VaporCSQLite, the C target of this product (not a product itself).
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ]
        ),
        // MSSanté's transport: a small SMTP client (STARTTLS, client certificate) and MIME messages.
        .target(
            name: "Mail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The server: JSON API (openapi.yaml) and French pages, over the store and the rules.
        .target(
            name: "Web",
            dependencies: [
                "Rules", "Registry", "Store", "Mail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            resources: [.copy("Demo"), .copy("openapi.yaml"), .copy("Assets"), .copy("Templates")]
        ),
        // The command line: parses input, calls the rules and the store, renders output.
        .target(
            name: "Commands",
            dependencies: [
                "Rules", "Registry", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The executable: the commands, and `serve` / `bench serve`, which need the server.
        .executableTarget(
            name: "esms",
            dependencies: [
                "Commands", "Store", "Web", "Rules", "Registry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RulesTests",
            dependencies: [
                "Rules",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Cases")]
        ),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "Rules"]),
        // Mutation fuzzing of the entry points that read outside input (ESMS_FUZZ_SECONDS in CI).
        .testTarget(name: "FuzzTests", dependencies: ["Rules", "Registry"]),
        // What the test targets share: the two real databases every repository test runs against.
        .target(
            name: "TestSupport",
            dependencies: ["Store", .product(name: "SQLKit", package: "sql-kit"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Registry", "Rules", "TestSupport", .product(name: "SQLKit", package: "sql-kit")]
        ),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "Rules", "Store", .product(name: "SQLKit", package: "sql-kit")]),
        .testTarget(
            name: "WebTests",
            dependencies: [
                "Web", "Rules", "Store", "TestSupport", "Mail",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
    ]
)
