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
    ],
    targets: [
        // The programme's rules as code: standard library and Foundation value types only.
        .target(
            name: "Rules",
            resources: [.copy("Campaigns")]
        ),
        // The command line: parses input, calls the layers below, renders output.
        .target(
            name: "Commands",
            dependencies: [
                "Rules",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "esms", dependencies: ["Commands"]),
        .testTarget(
            name: "RulesTests",
            dependencies: [
                "Rules",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Cases")]
        ),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "Rules"]),
    ]
)
