import Foundation

/// What a person has, for one item of a standard.
public struct Fact: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case option(String)
        case quantity(Decimal2)
        case flag(Bool)
    }

    public var value: Value
    public var date: CivilDate?

    public init(_ value: Value, date: CivilDate? = nil) {
        self.value = value
        self.date = date
    }
}

/// One person's facts for a scoring, keyed by item id (several dated facts per item allowed).
public struct Profile: Sendable, Equatable {
    public var id: String
    public var asOf: CivilDate?
    public var facts: [String: [Fact]]

    public init(id: String, asOf: CivilDate? = nil, facts: [String: [Fact]]) {
        self.id = id
        self.asOf = asOf
        self.facts = facts
    }
}

/// Reads profiles in the JSON form of docs/scoring-standard-format.md. Parsing text is not I/O:
/// the caller reads the file.
public enum ProfileReader {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let field, message: String
        public var description: String { field + ": " + message }
    }

    /// A JSON value as written, numbers kept apart from booleans.
    indirect enum JSON: Decodable {
        case string(String), number(Double), bool(Bool), object([String: JSON]), array([JSON]), null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else if let value = try? container.decode([String: JSON].self) { self = .object(value) }
            else { self = .array(try container.decode([JSON].self)) }
        }
    }

    public static func parse(line: String) throws -> Profile {
        let root: [String: JSON]
        do {
            guard case .object(let object) = try JSONDecoder().decode(JSON.self, from: Data(line.utf8)) else {
                throw Problem(field: "(JSON)", message: "应为对象 / expected an object")
            }
            root = object
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(field: "(JSON)", message: "不是有效的 JSON / not valid JSON")
        }
        let id: String
        switch root["id"] {
        case .string(let text) where !text.isEmpty: id = text
        case .number(let number) where number == number.rounded() && abs(number) < 1e15: id = String(Int64(number))
        default: throw Problem(field: "id", message: "必填，文字或整数 / required, text or an integer")
        }
        var asOf: CivilDate?
        if let raw = root["asOf"], raw.isPresent {
            guard case .string(let text) = raw, let date = CivilDate(text) else {
                throw Problem(field: "asOf", message: "应为日期 YYYY-MM-DD / expected a date YYYY-MM-DD")
            }
            asOf = date
        }
        guard case .object(let rawFacts) = root["facts"] else { throw Problem(field: "facts", message: "必填，应为对象 / required, an object") }
        var facts: [String: [Fact]] = [:]
        for (item, raw) in rawFacts {
            if case .array(let entries) = raw {
                facts[item] = try entries.enumerated().map { try fact($1, field: "facts.\(item)[\($0)]") }
            } else if raw.isPresent {
                facts[item] = [try fact(raw, field: "facts.\(item)")]
            }
        }
        return Profile(id: id, asOf: asOf, facts: facts)
    }

    static func fact(_ raw: JSON, field: String) throws -> Fact {
        if case .object(let object) = raw {
            guard let value = object["value"], value.isPresent else { throw Problem(field: field + ".value", message: "必填 / required") }
            var date: CivilDate?
            if let rawDate = object["date"], rawDate.isPresent {
                guard case .string(let text) = rawDate, let parsed = CivilDate(text) else {
                    throw Problem(field: field + ".date", message: "应为日期 YYYY-MM-DD / expected a date YYYY-MM-DD")
                }
                date = parsed
            }
            return Fact(try self.value(value, field: field + ".value"), date: date)
        }
        return Fact(try value(raw, field: field))
    }

    static func value(_ raw: JSON, field: String) throws -> Fact.Value {
        switch raw {
        case .string(let text): return .option(text)
        case .bool(let flag): return .flag(flag)
        case .number(let double):
            let scaled = (double * 100).rounded()
            guard double >= 0, double.isFinite, abs(double * 100 - scaled) < 1e-6, scaled < 1e15 else {
                throw Problem(field: field, message: "应为不小于 0 的数，最多两位小数 / expected a number ≥ 0 with at most two decimal places")
            }
            return .quantity(Decimal2(hundredths: Int64(scaled)))
        default:
            throw Problem(field: field, message: "应为文字、数字或 true/false / expected text, a number or true/false")
        }
    }
}

extension ProfileReader.JSON {
    var isPresent: Bool { if case .null = self { false } else { true } }
}
