import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The outermost middleware: every error becomes the one JSON shape (`APIError`),
/// and every response gets the security headers. Handlers throw the CLI's own
/// errors (`InputError`, `StoreError`); they come out as the same 422 and 404
/// the CLI's messages describe. A failure not meant for the client is logged
/// and answered with a 500 that says nothing about it.
package struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.apiError(for: error, logger: context.logger).response()
        }
        Self.addSecurityHeaders(&response.headers)
        return response
    }

    /// Every response's: nothing cached, sniffed, framed or referred. A page sets
    /// its own Content-Security-Policy (`PageRenderer`) and a static file its own
    /// caching (`DashboardPages.staticFile`); anything else gets the strictest.
    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        let referrer = HTTPField.Name("Referrer-Policy")!
        if headers[referrer] == nil { headers[referrer] = "no-referrer" }
        let policy = HTTPField.Name("Content-Security-Policy")!
        if headers[policy] == nil { headers[policy] = "default-src 'none'; frame-ancestors 'none'" }
    }

    /// Maps any error a request can end in to what the client is told.
    package static func apiError(for error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ServerError:
            // A handler's own error, or the generated code refusing the request's shape.
            if let inner = error.underlyingError as? APIError { return inner }
            if error.underlyingError is InputError || error.underlyingError is StoreError || error.underlyingError is PostgresError
                || error.underlyingError is CryptoError
            {
                return apiError(for: error.underlyingError, logger: logger)
            }
            if let decoding = error.underlyingError as? DecodingError { return invalidBody(decoding) }
            if (400..<500).contains(error.httpStatus.code) {
                // The runtime names a missing or malformed parameter ("... named: days"): make it the field.
                let cause = String(error.causeDescription.prefix(200))
                let parts = cause.split(separator: "named: ", maxSplits: 1)
                let named = parts.count == 2 ? String(parts[1]) : nil
                return APIError(
                    .unprocessableContent, "invalid", "the request does not match the API: \(cause)",
                    fields: named.map { [.init(field: $0, message: cause)] } ?? [])
            }
            logger.error("management API handler failed", metadata: ["operation": "\(error.operationID)", "error": "\(error.underlyingError)"])
            return APIError(.internalServerError, "internal", "the request failed inside providerd; the dashboard's log says why")
        case let error as InputError:
            return .invalid(error)
        case let error as StoreError:
            switch error {
            case .notFound(let what): return APIError(.notFound, "not_found", what)
            case .providerNotAllowed:
                return APIError(.unprocessableContent, "invalid", error.description, fields: [.init(field: "provider", message: error.description)])
            case .outOfRange: return APIError(.unprocessableContent, "invalid", error.description)
            case .undecryptable: return APIError(.conflict, "undecryptable", error.description)
            }
        case let error as PostgresError:
            logger.warning("management API database error", metadata: ["error": "\(error)"])
            if error.isRetryable { return APIError(.serviceUnavailable, "unavailable", "the database is unavailable; retry shortly") }
            return APIError(.internalServerError, "internal", "the database refused the request; the dashboard's log says why")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return APIError(.notFound, "not_found", "no such endpoint; the API is described at /api/v1/openapi.json")
            case .contentTooLarge: return APIError(.contentTooLarge, "too_large", "the request body is too large")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "this endpoint does not take that method")
            default: return APIError(error.status, "http", error.body ?? error.status.reasonPhrase)
            }
        default:
            logger.error("management API request failed", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal", "the request failed inside providerd; the dashboard's log says why")
        }
    }

    /// A body that is not the operation's JSON: the field path, never a value
    /// from the body (which may hold a key).
    static func invalidBody(_ error: DecodingError) -> APIError {
        let (path, rule): ([any CodingKey], String)
        switch error {
        case .typeMismatch(_, let context): (path, rule) = (context.codingPath, "has the wrong type")
        case .valueNotFound(_, let context): (path, rule) = (context.codingPath, "must not be null")
        case .keyNotFound(let key, let context): (path, rule) = (context.codingPath + [key], "is required")
        case .dataCorrupted(let context): (path, rule) = (context.codingPath, "is not valid JSON for this operation")
        @unknown default: (path, rule) = ([], "is not valid JSON for this operation")
        }
        let field = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        let name = field.isEmpty ? "body" : field
        return APIError(.unprocessableContent, "invalid", "\(name) \(rule)", fields: [.init(field: name, message: rule)])
    }
}
