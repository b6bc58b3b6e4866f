/// What a workflow service says about a request it was given: done, with what it made, or refused
/// with a problem for each field (in catalog wording, so the page and the API say it in the
/// reader's language and beside the field).
enum ServiceOutcome<Value> {
    case done(Value)
    case refused(FieldProblems)
}

typealias FieldProblems = [(field: String, wording: Wording)]

extension Array where Element == (field: String, wording: Wording) {
    /// Adds a problem of `field`.
    mutating func add(_ field: String, _ key: String, _ arguments: [String: String] = [:], label: String? = nil) {
        append((field, Wording(key, arguments, label: label)))
    }
}
