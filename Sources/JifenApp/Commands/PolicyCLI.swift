import Foundation
import JifenCore

/// `jifen policy check FILE` and `jifen policy score --standard FILE --profiles FILE.jsonl [--explain]`
/// (DESIGN §5). Pure: no database, no settings.
enum PolicyCLI {
    static let usage = """
    用法 / usage:
      jifen policy check FILE
      jifen policy score --standard FILE --profiles FILE.jsonl [--explain] [--as-of YYYY-MM-DD]
    """

    static func run(_ arguments: [String], output: (String) -> Void, errors: (String) -> Void) -> Int32 {
        guard let action = arguments.first else { errors(usage); return 2 }
        switch action {
        case "check":
            guard arguments.count == 2 else { errors(usage); return 2 }
            return check(arguments[1], output: output, errors: errors)
        case "score":
            return score(Array(arguments.dropFirst()), output: output, errors: errors)
        default:
            errors("未知操作 / unknown action: \(action)\n" + usage)
            return 2
        }
    }

    static func load(_ path: String, errors: (String) -> Void) -> Result<ScoringStandard, StandardProblems>? {
        guard let data = FileManager.default.contents(atPath: path) else {
            errors("\(path): 无法读取文件 / cannot read the file")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            errors("\(path): 不是 UTF-8 文本 / not UTF-8 text")
            return nil
        }
        return StandardParser.parse(text)
    }

    static func check(_ path: String, output: (String) -> Void, errors: (String) -> Void) -> Int32 {
        switch load(path, errors: errors) {
        case nil:
            return 2
        case .success(let standard)?:
            output("\(path): 有效 / valid: \(standard.id) \(standard.title)，\(standard.categories.count) 个类别 / categories，\(standard.items.count) 个项目 / items，自 \(standard.effectiveFrom) 起施行 / effective from \(standard.effectiveFrom)")
            return 0
        case .failure(let failure)?:
            for problem in failure.problems {
                errors(path + (problem.line.map { ":\($0)" } ?? "") + ": " + problem.description)
            }
            errors("\(path): \(failure.problems.count) 处错误 / problems")
            return 1
        }
    }

    static func score(_ arguments: [String], output: (String) -> Void, errors: (String) -> Void) -> Int32 {
        var standardPath, profilesPath: String?
        var explain = false
        var asOfDefault = ShanghaiDate.today()
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--standard" where i + 1 < arguments.count: standardPath = arguments[i + 1]; i += 2
            case "--profiles" where i + 1 < arguments.count: profilesPath = arguments[i + 1]; i += 2
            case "--as-of" where i + 1 < arguments.count:
                guard let date = CivilDate(arguments[i + 1]) else { errors("--as-of: 应为日期 YYYY-MM-DD / expected a date"); return 2 }
                asOfDefault = date
                i += 2
            case "--explain": explain = true; i += 1
            default: errors("未知参数 / unknown argument: \(arguments[i])\n" + usage); return 2
            }
        }
        guard let standardPath, let profilesPath else { errors(usage); return 2 }
        let standard: ScoringStandard
        switch load(standardPath, errors: errors) {
        case nil: return 2
        case .failure(let failure)?:
            for problem in failure.problems { errors(standardPath + ": " + problem.description) }
            return 2
        case .success(let s)?: standard = s
        }
        guard let data = FileManager.default.contents(atPath: profilesPath), let text = String(data: data, encoding: .utf8) else {
            errors("\(profilesPath): 无法读取 UTF-8 文件 / cannot read a UTF-8 file")
            return 2
        }
        let evaluator = Evaluator(standard)
        var bad = 0
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            do {
                let profile = try ProfileReader.parse(line: line)
                let evaluation = evaluator.evaluate(profile, asOf: profile.asOf ?? asOfDefault)
                output(ScoreJSON.render(id: profile.id, evaluation, explain: explain))
            } catch {
                bad += 1
                errors("\(profilesPath):\(number): 第 \(number) 行 / line \(number): \(error)")
            }
        }
        return bad == 0 ? 0 : 1
    }
}

/// One line of `policy score` output. Keys in a fixed order, numbers exact.
enum ScoreJSON {
    static func render(id: String, _ e: Evaluator.Evaluation, explain: Bool) -> String {
        var out = "{\"id\":" + JSONText.quote(id) + ",\"standard\":" + JSONText.quote(e.standard) + ",\"asOf\":\"" + e.asOf.description + "\""
        out += ",\"total\":" + e.total.description + ",\"eligible\":" + (e.eligible ? "true" : "false")
        out += ",\"categories\":{" + e.categories.map { JSONText.quote($0.id) + ":" + $0.points.description }.joined(separator: ",") + "}"
        let lines = explain ? e.lines : e.lines.filter { $0.status != .absent }
        out += ",\"items\":[" + lines.map { line in
            var item = "{\"id\":" + JSONText.quote(line.item) + ",\"points\":" + line.points.description + ",\"status\":\"" + line.status.rawValue + "\""
            if explain {
                item += ",\"title\":" + JSONText.quote(line.title) + ",\"category\":" + JSONText.quote(line.category)
                item += ",\"fact\":" + (line.fact.map(JSONText.quote) ?? "null") + ",\"rule\":" + JSONText.quote(line.rule)
                item += ",\"reason\":" + (line.reason.map(JSONText.quote) ?? "null")
            }
            return item + "}"
        }.joined(separator: ",") + "]"
        if !e.vetoes.isEmpty { out += ",\"vetoes\":[" + e.vetoes.map(JSONText.quote).joined(separator: ",") + "]" }
        if !e.unknownItems.isEmpty { out += ",\"unknownItems\":[" + e.unknownItems.map(JSONText.quote).joined(separator: ",") + "]" }
        return out + "}"
    }
}

