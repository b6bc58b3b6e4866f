/// The steps a rule passes before it binds. Seed 000: a standard goes through
/// "公众参与、专家论证、风险评估、合法性审查、廉洁性评估、公平竞争审查、集体讨论" before the
/// government adopts it, and the seats are published "报市政府批准后". Which steps a jurisdiction
/// requires is a setting; publishing is refused until every required step is recorded.
public enum ApprovalStep: String, Sendable, CaseIterable, Codable {
    /// 公众参与 (linked to one of Jifen's consultations when it ran there)
    case publicConsultation
    /// 专家论证
    case expertReview
    /// 风险评估
    case riskAssessment
    /// 合法性审查
    case legalityReview
    /// 廉洁性评估
    case integrityReview
    /// 公平竞争审查
    case fairCompetitionReview
    /// 集体讨论决定
    case collectiveDecision
    /// 报政府批准
    case governmentApproval

    /// What the rule goes through: a standard, or a year's quotas of a program.
    public enum Subject: String, Sendable, CaseIterable, Codable {
        case standard, quota

        /// The steps seed 000 names for each, in order.
        public var defaultSteps: [ApprovalStep] {
            switch self {
            case .standard: ApprovalStep.allCases
            case .quota: [.collectiveDecision, .governmentApproval]
            }
        }
    }

    /// `publicConsultation,legalityReview,…` in the order given, or `none`; nil names the first
    /// word that is not a step.
    public static func parseList(_ text: String) -> Result<[ApprovalStep], UnknownStep> {
        let words = text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        if words == ["none"] { return .success([]) }
        var steps: [ApprovalStep] = []
        for word in words {
            guard let step = ApprovalStep(rawValue: word) else { return .failure(UnknownStep(word: word)) }
            if !steps.contains(step) { steps.append(step) }
        }
        return .success(steps)
    }

    public struct UnknownStep: Error, Equatable, Sendable { public let word: String }

    /// The required steps not yet recorded, in the required order.
    public static func missing(required: [ApprovalStep], done: Set<ApprovalStep>) -> [ApprovalStep] {
        required.filter { !done.contains($0) }
    }
}
