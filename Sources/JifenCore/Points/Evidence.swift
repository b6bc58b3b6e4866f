/// Evidence files (证明材料) of a points claim: what may be uploaded, decided by the bytes
/// themselves, never by the file name or the type the browser claims.
public enum EvidenceKind: String, Sendable, CaseIterable, Codable {
    case pdf, jpeg, png

    /// The most one file may hold: 10 MB.
    public static let maximumBytes = 10 * 1024 * 1024

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    public var fileExtension: String {
        switch self {
        case .pdf: "pdf"
        case .jpeg: "jpg"
        case .png: "png"
        }
    }

    public enum Problem: Error, Sendable, Equatable {
        case empty
        case tooLarge(bytes: Int)
        case notAllowed
    }

    /// The kind of `bytes` by its signature: `%PDF-`, JPEG's FF D8 FF, PNG's eight-byte header.
    public static func detect<Bytes: Collection>(_ bytes: Bytes) -> EvidenceKind? where Bytes.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.starts(with: [0x25, 0x50, 0x44, 0x46, 0x2D]) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }

    /// Checks an upload: not empty, not over 10 MB, and a PDF, JPEG or PNG by content.
    public static func check<Bytes: Collection>(_ bytes: Bytes) -> Result<EvidenceKind, Problem> where Bytes.Element == UInt8 {
        if bytes.isEmpty { return .failure(.empty) }
        if bytes.count > maximumBytes { return .failure(.tooLarge(bytes: bytes.count)) }
        guard let kind = detect(bytes) else { return .failure(.notAllowed) }
        return .success(kind)
    }
}

/// What a person claims for one item, as typed into a form, turned into a fact of the item's
/// rule. The same reading serves the citizen, the window clerk and the reviewer's correction.
public enum ClaimInput {
    public enum Problem: Error, Sendable, Equatable {
        case required
        case unknownOption
        case notANumber
        case dateRequired
        case badDate
        case future
    }

    /// `value`: an option id (choice), a number (per unit, tiers, deductions) or anything for a
    /// flag. `date`: when the fact happened, required when the item has a validity window.
    public static func fact(for item: ScoringStandard.Item, value raw: String, date rawDate: String, today: CivilDate) -> Result<Fact, Problem> {
        let value = raw.trimmingCharacters(in: .whitespaces)
        var date: CivilDate?
        let dateText = rawDate.trimmingCharacters(in: .whitespaces)
        if !dateText.isEmpty {
            guard let parsed = CivilDate(dateText) else { return .failure(.badDate) }
            if parsed > today { return .failure(.future) }
            date = parsed
        } else if item.validYears != nil {
            return .failure(.dateRequired)
        }
        switch item.rule {
        case .choice(let options):
            if value.isEmpty { return .failure(.required) }
            guard options.contains(where: { $0.id == value }) else { return .failure(.unknownOption) }
            return .success(Fact(.option(value), date: date))
        case .perUnit, .tiers, .deduction:
            if value.isEmpty { return .failure(.required) }
            guard let quantity = Decimal2(parsing: value), quantity > .zero else { return .failure(.notANumber) }
            return .success(Fact(.quantity(quantity), date: date))
        case .flag, .veto:
            return .success(Fact(.flag(true), date: date))
        }
    }

    /// The stored form of a fact's value: the option id, the number, or `true`.
    public static func text(_ value: Fact.Value) -> String {
        switch value {
        case .option(let id): id
        case .quantity(let q): q.description
        case .flag(let b): b ? "true" : "false"
        }
    }

    /// Reads a stored value back for `item`.
    public static func value(_ text: String, for item: ScoringStandard.Item) -> Fact.Value? {
        switch item.rule {
        case .choice: .option(text)
        case .perUnit, .tiers, .deduction: Decimal2(parsing: text).map { .quantity($0) }
        case .flag, .veto: .flag(text == "true")
        }
    }

    /// How a value reads to a person: the option's title, the number with the unit, or 是.
    public static func display(_ value: Fact.Value, for item: ScoringStandard.Item) -> String {
        switch (value, item.rule) {
        case (.option(let id), .choice(let options)): options.first { $0.id == id }?.title ?? id
        case (.quantity(let q), .perUnit(let unit, _, _, _, _, _)), (.quantity(let q), .tiers(let unit, _, _)): q.description + " " + unit
        case (.quantity(let q), _): q.description
        case (.flag(let b), _): b ? "是" : "否"
        default: text(value)
        }
    }
}
