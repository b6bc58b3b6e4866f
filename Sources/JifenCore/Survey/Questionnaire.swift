/// A questionnaire (问卷调查) and its statistics in the form of seed 000's Table 3: question,
/// option, count, total respondents, percentage — where a multiple-choice question's
/// percentages may add up to more than 100%.
public struct Questionnaire: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case single, multiple, text }

    public struct Question: Sendable, Equatable {
        public var title: String
        public var kind: Kind
        public var options: [String]
        public init(title: String, kind: Kind, options: [String]) {
            self.title = title
            self.kind = kind
            self.options = options
        }
    }

    public var questions: [Question]
    public init(questions: [Question]) { self.questions = questions }

    // MARK: the text form staff write

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "第 \(line) 行 / line \(line): \(message)" }
    }

    /// One question per block: a line `单选 题目`, `多选 题目` or `填空 题目` (also `single`,
    /// `multiple`, `text`), then its options one per line starting with `-`. Blank lines and
    /// lines starting with `#` are ignored.
    public struct Problems: Error, Sendable, Equatable { public let problems: [Problem] }

    public static func parse(_ text: String) -> Result<Questionnaire, Problems> {
        var questions: [Question] = []
        var problems: [Problem] = []
        var lineOfQuestion: [Int] = []
        let kinds: [String: Kind] = ["单选": .single, "多选": .multiple, "填空": .text, "single": .single, "multiple": .multiple, "text": .text]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("-") || line.hasPrefix("－") {
                let option = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard !questions.isEmpty else { problems.append(Problem(line: n + 1, message: "选项之前应先有题目 / an option before any question")); continue }
                guard questions[questions.count - 1].kind != .text else { problems.append(Problem(line: n + 1, message: "填空题没有选项 / a text question has no options")); continue }
                guard !option.isEmpty else { problems.append(Problem(line: n + 1, message: "选项为空 / empty option")); continue }
                guard option.count <= 100 else { problems.append(Problem(line: n + 1, message: "选项过长（最多 100 字）/ option too long")); continue }
                questions[questions.count - 1].options.append(option)
                continue
            }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let kind = kinds[parts[0]], parts.count == 2 else {
                problems.append(Problem(line: n + 1, message: "应以“单选”“多选”或“填空”开头，后接题目，或以“-”开头的选项 / expected 单选/多选/填空 and a title, or an option starting with '-'"))
                continue
            }
            questions.append(Question(title: parts[1].trimmingCharacters(in: .whitespaces), kind: kind, options: []))
            lineOfQuestion.append(n + 1)
        }
        for (k, q) in questions.enumerated() where q.kind != .text && q.options.count < 2 {
            problems.append(Problem(line: lineOfQuestion[k], message: "选择题至少要有两个选项 / a choice question needs two options or more"))
        }
        if questions.isEmpty && problems.isEmpty { problems.append(Problem(line: 1, message: "没有题目 / no questions")) }
        return problems.isEmpty ? .success(Questionnaire(questions: questions)) : .failure(Problems(problems: problems.sorted { $0.line < $1.line }))
    }

    /// The text form of this questionnaire (what `parse` reads).
    public var text: String {
        questions.map { q in
            ([(q.kind == .single ? "单选 " : q.kind == .multiple ? "多选 " : "填空 ") + q.title] + q.options.map { "- " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    // MARK: answers and statistics

    /// One respondent's answers: for each question its chosen option indices (one for a single
    /// choice, any number for a multiple choice), or a text.
    public struct Answer: Sendable, Equatable {
        public var choices: [[Int]]
        public var texts: [String]
        public init(choices: [[Int]], texts: [String]) {
            self.choices = choices
            self.texts = texts
        }
    }

    public enum AnswerProblem: Error, Sendable, Equatable {
        case missing(question: Int)
        case oneOnly(question: Int)
        case unknownOption(question: Int)
        case tooLong(question: Int)
    }

    /// Checks an answer: every choice question answered (one option for a single choice),
    /// options that exist, texts of at most 500 characters (a text may stay empty).
    public func check(_ answer: Answer) -> [AnswerProblem] {
        var problems: [AnswerProblem] = []
        for (k, q) in questions.enumerated() {
            let chosen = k < answer.choices.count ? answer.choices[k] : []
            switch q.kind {
            case .single, .multiple:
                if chosen.isEmpty { problems.append(.missing(question: k)); continue }
                if q.kind == .single && chosen.count > 1 { problems.append(.oneOnly(question: k)) }
                if chosen.contains(where: { $0 < 0 || $0 >= q.options.count }) { problems.append(.unknownOption(question: k)) }
            case .text:
                if k < answer.texts.count, answer.texts[k].count > 500 { problems.append(.tooLong(question: k)) }
            }
        }
        return problems
    }

    public struct Row: Sendable, Equatable {
        public var question, option, count, total: Int
        /// Hundredths of a percent, rounded half up: 1946 is 19.46%.
        public var percent: Int
        public var percentText: String { "\(percent / 100).\(String(format2: percent % 100))%" }
    }

    /// Table 3: for every option of every choice question, how many respondents chose it, of all
    /// respondents, as a percentage of all respondents.
    public func statistics(_ answers: [Answer]) -> [Row] {
        let total = answers.count
        var rows: [Row] = []
        for (k, q) in questions.enumerated() where q.kind != .text {
            var counts = [Int](repeating: 0, count: q.options.count)
            for a in answers where k < a.choices.count {
                for o in Set(a.choices[k]) where o >= 0 && o < counts.count { counts[o] += 1 }
            }
            for (o, c) in counts.enumerated() {
                let percent = total == 0 ? 0 : (c * 20_000 + total) / (2 * total)
                rows.append(Row(question: k, option: o, count: c, total: total, percent: percent))
            }
        }
        return rows
    }
}

