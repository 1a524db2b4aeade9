import Hummingbird
import ProviderdCore

/// A form a page posted (`application/x-www-form-urlencoded`), decoded by
/// Hummingbird's `URLEncodedFormDecoder`. Values are kept as sent; each page
/// checks its own fields through the CLI's validation.
package struct PageForm: Sendable {
    package var values: [String: String]

    package init(values: [String: String]) {
        self.values = values
    }

    /// The request's form. `BodyLimitMiddleware` has already bounded the body.
    package init(_ request: Request) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let text = String(buffer: buffer)
        if text.isEmpty {
            values = [:]
            return
        }
        do {
            values = try URLEncodedFormDecoder().decode([String: String].self, from: text)
        } catch {
            throw APIError(.badRequest, "invalid", "the form could not be read; reload the page and send it again")
        }
    }

    package subscript(_ name: String) -> String? { values[name] }

    /// The field, trimmed, nil when empty.
    package func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return String(value)
    }
}
