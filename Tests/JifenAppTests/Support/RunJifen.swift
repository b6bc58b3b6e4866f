import Foundation
import XCTest

/// Runs the built `jifen` to its end with `environment` (and a plain PATH, nothing else of this
/// process's own): its exit status, standard output and standard error. Both outputs go through
/// files, so a talkative command cannot fill a pipe and stall.
@discardableResult
func runJifen(_ arguments: [String], environment: [String: String], input: String? = nil) throws -> (status: Int32, output: String, errors: String) {
    let folder = try makeTemporaryDirectory("jifen-run")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outPath = folder + "/out", errPath = folder + "/err"
    FileManager.default.createFile(atPath: outPath, contents: nil)
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let process = Process()
    process.executableURL = ServerProcess.binary
    process.arguments = arguments
    process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { given, _ in given }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    let output = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
    let errors = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
    return (process.terminationStatus, output, errors)
}

/// A new empty folder under the temporary directory; the caller removes it.
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(prefix + "-" + UUID().uuidString).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
