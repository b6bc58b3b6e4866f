import Leaf
import Vapor

/// One field of a form as a page shows it: its label in the reader's language, what was typed,
/// its problem, a hint. The shared partial `shared/field.leaf` draws every kind the same way, so a new
/// field is one line in Swift (`form.field("title", req.text("field_title"))`) and none in the
/// template (`#for(f in page.fields):#extend("shared/field", f)#endfor`).
struct FormField: Encodable {
    enum Kind: String, Encodable { case text, number, decimal, date, tel, password, select, textarea, checkbox
        /// A resident ID number: a text field that never sends back what was typed (personal data).
        case idNumber
    }

    let name: String
    /// The element's id: the name, prefixed when one page has two forms with a field of that name.
    let id: String
    let label: String
    let kind: Kind
    let value: String
    let error, hint: String?
    let options: [SelectOption]
    let maxLength: Int?
    let placeholder, autocomplete: String?
    let required: Bool
    let rows: Int?
    let checked: Bool
}

extension FormState {
    /// The field `name` of this form, with what was typed and its problem, if any. A select's
    /// options are marked selected by the value; a password is never sent back.
    func field(_ name: String, _ label: String, _ kind: FormField.Kind = .text, hint: String? = nil, options: [(value: String, label: String)] = [],
               maxLength: Int? = nil, placeholder: String? = nil, autocomplete: String? = nil, required: Bool = false, rows: Int? = nil,
               idPrefix: String = "") -> FormField {
        let value = values[name] ?? ""
        return FormField(name: name, id: idPrefix + name, label: label, kind: kind, value: kind == .password || kind == .idNumber ? "" : value, error: errors[name], hint: hint,
                         options: options.map { SelectOption(value: $0.value, label: $0.label, selected: $0.value == value) },
                         maxLength: maxLength, placeholder: placeholder, autocomplete: autocomplete, required: required, rows: rows,
                         checked: kind == .checkbox && value == "on")
    }
}

extension FormState {
    /// The field `name` must be filled in, with at most `max` characters; the problem names the
    /// field (`label`: its catalog key).
    mutating func requireText(_ name: String, label: String, max: Int, on req: Request) {
        let value = values[name] ?? ""
        if value.isEmpty { fail(name, req.text("problem_required", ["field": req.text(label)])) }
        else if value.count > max { fail(name, req.text("problem_tooLong", ["field": req.text(label), "max": String(max)])) }
    }
}

/// `#errorSummary(page.fields, …)`: at the top of a refused form, what is wrong with it, each
/// line a link to its field (WCAG 3.3.1 and the GOV.UK pattern), so a reader who cannot see the
/// whole form, or hears it, learns at once what to correct and goes there. Nothing when every
/// field is fine. Takes the form's field lists (or single fields) as its page model encodes them:
/// a field is anything with an `error` and an `id` (or a `name`, when that is its id); a group
/// with `fields` is looked into.
struct ErrorSummaryTag: UnsafeUnescapedLeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        var problems: [(id: String, message: String)] = []
        func collect(_ data: LeafData) {
            if let list = data.array { list.forEach(collect); return }
            guard let field = data.dictionary else { return }
            if let inner = field["fields"] { collect(inner); return }
            guard let error = field["error"]?.string, !error.isEmpty, let id = field["id"]?.string ?? field["name"]?.string else { return }
            problems.append((id, error))
        }
        ctx.parameters.forEach(collect)
        guard !problems.isEmpty, let request = ctx.request else { return .string("") }
        let heading = request.text("form_problems_heading", ["count": String(problems.count)])
        var html = #"<div class="problems" role="alert"><h2>"# + escapeHTML(heading) + "</h2><ul>"
        for p in problems {
            html += "<li><a href=\"#" + escapeHTML(p.id) + "\">" + escapeHTML(p.message) + "</a></li>"
        }
        return .string(html + "</ul></div>")
    }
}

/// Text made safe inside HTML content and double-quoted attributes.
func escapeHTML(_ text: String) -> String {
    // Most texts have nothing to escape: returned as they are, without a copy.
    guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                                      || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
