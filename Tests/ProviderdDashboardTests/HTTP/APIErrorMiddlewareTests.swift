import Foundation
import Hummingbird
import Logging
import ProviderdCore
import Testing

@testable import ProviderdDashboard

@Suite("The management API's one error shape")
struct APIErrorMiddlewareTests {
    let logger = Logger(label: "test")

    @Test("the CLI's errors map to 422 naming the field, 404, and 503 for a database that is down")
    func mapping() {
        let invalid = APIErrorMiddleware<BasicRequestContext>.apiError(for: InputError("--temperature", "must be from 0.0 to 2.0"), logger: logger)
        #expect(invalid.status == .unprocessableContent && invalid.fields == [.init(field: "temperature", message: "must be from 0.0 to 2.0")])
        let missing = APIErrorMiddleware<BasicRequestContext>.apiError(for: StoreError.notFound("no budget named 'x'"), logger: logger)
        #expect(missing.status == .notFound && missing.code == "not_found")
        let down = APIErrorMiddleware<BasicRequestContext>.apiError(for: PostgresError(kind: .connection, message: "refused"), logger: logger)
        #expect(down.status == .serviceUnavailable)
        let other = APIErrorMiddleware<BasicRequestContext>.apiError(for: CancellationError(), logger: logger)
        #expect(other.status == .internalServerError && !other.message.contains("Cancellation"))
    }

    @Test("a body that does not decode is named by its path, never echoed (it may hold a key)")
    func decodingNeverEchoes() {
        struct Body: Decodable { let key: String }
        let secret = "sk-live-DO-NOT-ECHO"
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(#"{"key": 5, "x": "\#(secret)"}"#.utf8))
        } catch let error as DecodingError {
            let mapped = APIErrorMiddleware<BasicRequestContext>.invalidBody(error)
            #expect(mapped.fields.first?.field == "key" && mapped.status == .unprocessableContent)
            #expect(!mapped.message.contains(secret))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(#"{"key": "\#(secret)"#.utf8))
        } catch let error as DecodingError {
            #expect(!APIErrorMiddleware<BasicRequestContext>.invalidBody(error).message.contains(secret))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("the JSON shape: error, message, fields; Retry-After on 429")
    func shape() async throws {
        let response = APIError(.tooManyRequests, "rate_limited", "wait", retryAfter: 7).response()
        #expect(response.headers[.retryAfter] == "7" && response.headers[.contentType]?.hasPrefix("application/json") == true)
        var body = response.body
        var buffer = ByteBuffer()
        let collector = BufferCollector()
        try await body.write(collector)
        buffer = collector.buffer
        _ = body
        let json = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        #expect(json?["error"] as? String == "rate_limited" && json?["message"] as? String == "wait" && json?["fields"] == nil)
    }
}

/// Collects a response body written to it.
final class BufferCollector: ResponseBodyWriter, @unchecked Sendable {
    // @unchecked: written by one task, read after it finishes.
    var buffer = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws { self.buffer.writeImmutableBuffer(buffer) }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
