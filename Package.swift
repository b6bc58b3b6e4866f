// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "jifen",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "jifen", targets: ["jifen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.110.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.12.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.8.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.10.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.4.0"),
        .package(url: "https://github.com/vapor/leaf-kit.git", from: "1.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0" ..< "5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
    ],
    targets: [
        // The domain: pure Swift + Foundation. No Vapor, no database, no I/O.
        .target(
            name: "JifenCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Templates, public files and shipped data, found beside the binary at run time.
        .target(
            name: "JifenResources",
            path: "Resources",
            exclude: [],
            sources: ["JifenResources.swift"],
            resources: [.copy("Views"), .copy("Public"), .copy("Strings"), .copy("Demo"), .copy("Standards"), .copy("Calendars"), .copy("Regions"), .copy("API")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "JifenApp",
            dependencies: [
                "JifenCore",
                "JifenResources",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Ink", package: "Ink"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "jifen",
            dependencies: ["JifenApp", "JifenCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JifenCoreTests",
            dependencies: ["JifenCore", "JifenResources"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JifenAppTests",
            dependencies: [
                "JifenApp",
                .product(name: "XCTVapor", package: "vapor"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

var swiftSettings: [SwiftSetting] {
    [.enableUpcomingFeature("ExistentialAny")]
}
