import Foundation
import JifenCore
import JifenResources

/// `jifen bench`: the speed figures of BENCHMARKS.md, one `name value unit` per line.
/// Data is generated from a fixed seed; only the measured work is timed.
enum BenchCLI {
    static func run(_ arguments: [String], output: (String) -> Void, errors: (String) -> Void) async -> Int32 {
        var profiles = 1_000_000
        var importRows = 1_000_000
        var applicants = 1_000_000
        var only: String?
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--profiles", i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 {
                profiles = n
                i += 2
            } else if arguments[i] == "--import-rows", i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 {
                importRows = n
                i += 2
            } else if arguments[i] == "--applicants", i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 {
                applicants = n
                i += 2
            } else if ["scoring", "import", "allocation"].contains(arguments[i]) {
                only = arguments[i]
                i += 1
            } else {
                errors("用法 / usage: jifen bench [scoring | import | allocation] [--profiles N] [--import-rows N] [--applicants N]")
                return 2
            }
        }
        if only == nil || only == "allocation" {
            AllocationBench.run(applicants: applicants, output: output)
            if only == "allocation" { return 0 }
        }
        if only != "scoring" {
            do { try await ImportBench.run(rows: importRows, output: output) } catch { errors("bench import: \(error)"); return 1 }
            if only == "import" { return 0 }
        }
        do {
            let path = JifenResources.directory("Standards") + "zhangjiagang-2021.yaml"
            let standard = try StandardParser.parse(String(contentsOfFile: path, encoding: .utf8)).get()
            let (seconds, checksum) = scoring(standard, profiles: profiles)
            output("scoring_profiles \(profiles) profiles")
            output("scoring_seconds \(String(format: "%.3f", seconds)) s")
            output("scoring_profiles_per_second \(Int((Double(profiles) / seconds).rounded())) profiles/s")
            output("scoring_checksum \(checksum) points")
            return 0
        } catch {
            errors("bench: \(error)")
            return 1
        }
    }

    /// Scores `profiles` generated profiles on one core, in chunks so memory stays small; only
    /// the scoring is timed.
    static func scoring(_ standard: ScoringStandard, profiles: Int) -> (seconds: Double, checksum: Points) {
        let evaluator = Evaluator(standard)
        var rng = SplitMix64(seed: 20_260_530)
        let asOf = CivilDate(year: 2026, month: 5, day: 30)!
        var buffer = Evaluator.Buffer()
        var elapsed: Duration = .zero
        var checksum = Points.zero
        let chunk = 10_000
        var done = 0
        while done < profiles {
            let count = min(chunk, profiles - done)
            let batch = (0..<count).map { _ in generate(evaluator, asOf: asOf, using: &rng) }
            let start = ContinuousClock.now
            for facts in batch {
                checksum += evaluator.score(facts, asOf: asOf, into: &buffer).total
            }
            elapsed += ContinuousClock.now - start
            done += count
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (seconds, checksum)
    }

    /// A plausible applicant: most basic items present, some additional ones, dated where the
    /// item has a validity window.
    static func generate(_ evaluator: Evaluator, asOf: CivilDate, using rng: inout SplitMix64) -> Evaluator.Facts {
        let items = evaluator.standard.items
        var slots: [Evaluator.Slot] = []
        slots.reserveCapacity(items.count)
        var starts: [Int32] = [0]
        starts.reserveCapacity(items.count + 1)
        for (index, item) in items.enumerated() {
            let category = evaluator.standard.category(item.category)?.kind
            let chance = category == .basic ? 90 : (category == .deduction ? 3 : 25)
            if Int.random(in: 0..<100, using: &rng) < chance {
                let date = item.validYears.map { asOf.adding(years: -Int.random(in: 0...($0 + 2), using: &rng)) }
                let value: Fact.Value
                switch item.rule {
                case .choice(let options): value = .option(options[Int.random(in: 0..<options.count, using: &rng)].id)
                case .perUnit, .tiers: value = .quantity(Decimal2(Int.random(in: 0...200, using: &rng)))
                case .deduction: value = .quantity(Decimal2(1))
                case .flag, .veto: value = .flag(true)
                }
                slots.append(evaluator.slot(Fact(value, date: date), item: index))
            }
            starts.append(Int32(slots.count))
        }
        return Evaluator.Facts(slots: slots, starts: starts)
    }
}
