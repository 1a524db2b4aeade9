import HTTPTypes
import Hummingbird
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The one error shape of the management API: `{"error": CODE, "message": TEXT,
/// "fields": [{"field", "message"}]}` (the document's `Error`). The message says
/// what to do; it never holds a key, a token or a session id.
package struct APIError: Error, Sendable, Equatable {
    package struct FieldError: Sendable, Equatable, Encodable {
        package var field: String
        package var message: String
    }

    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var fields: [FieldError] = []
    /// Seconds, for 429.
    package var retryAfter: Int?

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String, fields: [FieldError] = [], retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.retryAfter = retryAfter
    }

    package static let unauthorized = APIError(
        .unauthorized, "unauthorized", "log in first (POST /api/v1/session with a token), or send Authorization: Bearer TOKEN")

    /// A bad field, named as the CLI names it.
    package static func invalid(_ error: InputError) -> APIError {
        APIError(
            .unprocessableContent, "invalid", error.description,
            fields: [FieldError(field: error.field.hasPrefix("--") ? String(error.field.dropFirst(2)) : error.field, message: error.rule)])
    }

    private struct Body: Encodable {
        var error: String
        var message: String
        var fields: [FieldError]?
    }

    package func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(error: code, message: message, fields: fields.isEmpty ? nil : fields))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
