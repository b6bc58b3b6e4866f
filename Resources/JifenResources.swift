import Foundation

/// The bundle that holds Jifen's templates, public files, string catalog and shipped data.
/// SwiftPM places it beside the built binary, so `jifen` runs from any working directory.
public enum JifenResources {
    public static var bundle: Bundle { Bundle.module }

    /// The folder of one kind of resource (`Views`, `Public`, `Strings`, `Demo`), ending in `/`.
    public static func directory(_ name: String) -> String {
        let base = Bundle.module.resourceURL ?? Bundle.module.bundleURL
        return base.appendingPathComponent(name, isDirectory: true).path + "/"
    }
}
