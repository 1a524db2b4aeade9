import Hummingbird
import NIOCore
import ProviderdCore

/// Reads at most `dashboard.max_body_bytes` of a request body: a larger declared
/// length is refused before a byte is read, and a body that grows past the limit
/// (chunked) is cut off there. 413 either way.
package struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    package init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tooLarge = APIError(.contentTooLarge, "too_large", "the request body is over dashboard.max_body_bytes (\(maxBytes) bytes)")
        if let length = request.headers[.contentLength], let declared = Int(length), declared > maxBytes { throw tooLarge }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            // A chunked body, with no length declared, grew past the limit.
            throw tooLarge
        }
        return try await next(request, context)
    }
}
