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
            } else if ["scoring", "import", "allocation", "simulation"].contains(arguments[i]) {
                only = arguments[i]
                i += 1
            } else {
                errors("用法 / usage: jifen bench [scoring | import | allocation | simulation] [--profiles N] [--import-rows N] [--applicants N]")
                return 2
            }
        }
        if only == nil || only == "allocation" {
            AllocationBench.run(applicants: applicants, output: output)
            if only == "allocation" { return 0 }
        }
        if only == nil || only == "simulation" {
            do { try SimulationBench.run(output: output) } catch { errors("bench simulation: \(error)"); return 1 }
            if only == "simulation" { return 0 }
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

    /// A plausible applicant, in the evaluator's form.
    static func generate(_ evaluator: Evaluator, asOf: CivilDate, using rng: inout SplitMix64) -> Evaluator.Facts {
        var slots: [Evaluator.Slot] = []
        var starts: [Int32] = [0]
        starts.reserveCapacity(evaluator.standard.items.count + 1)
        for (index, fact) in facts(evaluator.standard, asOf: asOf, using: &rng).enumerated() {
            if let fact { slots.append(evaluator.slot(fact, item: index)) }
            starts.append(Int32(slots.count))
        }
        return Evaluator.Facts(slots: slots, starts: starts)
    }

    /// A plausible applicant's fact for each item of `standard` (nil where he has none): most
    /// basic items present, some additional ones, dated where the item has a validity window.
    static func facts(_ standard: ScoringStandard, asOf: CivilDate, using rng: inout SplitMix64) -> [Fact?] {
        standard.items.map { item -> Fact? in
            let category = standard.category(item.category)?.kind
            let chance = category == .basic ? 90 : (category == .deduction ? 3 : 25)
            guard Int.random(in: 0..<100, using: &rng) < chance else { return nil }
            let date = item.validYears.map { asOf.adding(years: -Int.random(in: 0...($0 + 2), using: &rng)) }
            let value: Fact.Value
            switch item.rule {
            case .choice(let options): value = .option(options[Int.random(in: 0..<options.count, using: &rng)].id)
            case .perUnit, .tiers: value = .quantity(Decimal2(Int.random(in: 0...200, using: &rng)))
            case .deduction: value = .quantity(Decimal2(1))
            case .flag, .veto: value = .flag(true)
            }
            return Fact(value, date: date)
        }
    }
}

/// `jifen bench simulation`: a city's year simulated under the draft standard — 12,000
/// applicants with generated facts, ranking three of 120 schools with 2,900 seats, scored under
/// the standard in force and the draft and allocated both ways (`PolicySimulation.run`, what the
/// simulation job does once it has read the applicants).
enum SimulationBench {
    static func run(applicants: Int = 12_000, schools: Int = 120, seats: Int = 2_900, output: (String) -> Void) throws {
        let current = try StandardParser.parse(String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8)).get()
        let draft = try StandardParser.parse(String(contentsOfFile: JifenResources.directory("Demo") + "zhangjiagang-2026-draft.yaml", encoding: .utf8)).get()
        var rng = SplitMix64(seed: 2_026_0601)
        let asOf = CivilDate(year: 2026, month: 5, day: 31)!
        let codes = (0..<schools).map { String(format: "P%03d", $0) }
        var seatsOf: [String: Int] = [:]
        for (k, code) in codes.enumerated() { seatsOf[code] = seats / schools + (k < seats % schools ? 1 : 0) }
        let base = Instant(iso8601: "2026-04-01T08:00:00+08:00")!
        let people = (0..<applicants).map { n -> PolicySimulation.Applicant in
            var byItem: [String: [Fact]] = [:]
            for (item, fact) in zip(current.items, BenchCLI.facts(current, asOf: asOf, using: &rng)) { if let fact { byItem[item.id] = [fact] } }
            var prefs: [String] = []
            while prefs.count < 3 {
                let code = codes[Int.random(in: 0..<schools, using: &rng)]
                if !prefs.contains(code) { prefs.append(code) }
            }
            return PolicySimulation.Applicant(id: "A\(n)", name: "*", town: "T\(n % 10)", facts: byItem,
                                              submittedAt: Instant(seconds: base.seconds + Int64(Int.random(in: 0..<(60 * 86_400), using: &rng))), preferences: prefs)
        }
        let start = ContinuousClock.now
        let result = PolicySimulation.run(people, seats: seatsOf, current: current, draft: draft,
                                          tiebreak: [.sum(["socialSecurity"]), .sum(["residence"]), .applicationTime], asOf: asOf)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        output("simulation_applicants \(applicants) applicants")
        output("simulation_changed \(result.changed) applicants")
        output("simulation_city_seconds \(String(format: "%.3f", seconds)) s")
    }
}
