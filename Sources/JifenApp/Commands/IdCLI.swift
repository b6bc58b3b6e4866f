import Foundation
import JifenCore
import JifenResources

/// `jifen id validate ID…` or `--stdin` (DESIGN §5): one line per number,
/// `ID<TAB>valid` or `ID<TAB>invalid<TAB>reason`; exit status 0 when all are valid, else 1.
enum IdCLI {
    static let usage = "用法 / usage: jifen id validate ID… | jifen id validate --stdin"

    /// The region list shipped with Jifen (GB/T 2260, every code since 1980; see Resources/Regions/SOURCE.md).
    static func loadRegions() throws -> RegionCodes {
        RegionCodes(tsv: try String(contentsOfFile: JifenResources.directory("Regions") + "gbt2260.tsv", encoding: .utf8))
    }

    static func run(_ arguments: [String], input: () -> String?, today: CivilDate, output: (String) -> Void, errors: (String) -> Void) -> Int32 {
        guard arguments.first == "validate", arguments.count > 1 else { errors(usage); return 2 }
        let regions: RegionCodes
        do { regions = try loadRegions() } catch { errors("无法读取行政区划代码表 / cannot read the region list: \(error)"); return 2 }
        var numbers = Array(arguments.dropFirst())
        if numbers == ["--stdin"] {
            numbers = []
            while let line = input() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { numbers.append(trimmed) }
            }
        }
        var allValid = true
        for number in numbers {
            switch ResidentID.validate(number, today: today, regions: regions) {
            case .success: output(number + "\tvalid")
            case .failure(let problem):
                allValid = false
                output(number + "\tinvalid\t" + problem.description)
            }
        }
        return allValid ? 0 : 1
    }
}
