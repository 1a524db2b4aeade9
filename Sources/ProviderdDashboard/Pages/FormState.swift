/// What a form shows again after it was refused: the values sent (never a key:
/// the key fields are not kept) and each field's error, by the field's name, as
/// the API's `fields` names them. Templates read `values.NAME` and `errors.NAME`.
struct FormState: Sendable {
    var values: [String: String] = [:]
    var errors: [String: String] = [:]
    /// The error not tied to one field.
    var message: String?

    /// The refusal of `failure` for a form whose fields are `fields`: each named
    /// field gets its message; any other goes to `message`.
    init(values: [String: String] = [:], failure: APIError? = nil, fields: Set<String> = []) {
        self.values = values
        guard let failure else { return }
        for field in failure.fields {
            if fields.contains(field.field) { errors[field.field] = field.message } else { message = failure.message }
        }
        if failure.fields.isEmpty { message = failure.message }
    }

    var hasErrors: Bool { !errors.isEmpty || message != nil }
}
