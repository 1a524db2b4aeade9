import Foundation
import Testing

@testable import ProviderdCore

@Suite("Usage line parser: the record rules")
struct UsageLineParserTests {
    static let now: Int64 = 1_795_600_000  // 2026-11-25
    let parser = UsageLineParser(limits: UsageLimits(now: now))

    func record(_ line: String) throws -> UsageRecord {
        guard case .record(let record) = try parser.parse(line) else { throw UsageLineError("not a record") }
        return record
    }

    func error(_ line: String) -> String? {
        do {
            _ = try parser.parse(line)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("the README's example record, defaults, aliases, unknown fields")
    func valid() throws {
        let first = try record(#"{"service_name":"rag_agent","model_string":"openai:gpt-4o","input_tokens":500,"output_tokens":200}"#)
        #expect(first.serviceName == "rag_agent")
        #expect(first.modelString == "openai:gpt-4o")
        #expect(first.inputTokens == 500 && first.outputTokens == 200)
        #expect(first.requestCount == 1 && first.cacheReadTokens == 0 && first.timestamp == nil && first.id == nil)

        let full = try record(
            """
             { "service_name" : "svc \\u00e9\\ud83d\\udd11", "model_string":"ollama:llama3:8b", "request_tokens": 1000,
               "response_tokens": 0, "cache_read_tokens": 600, "cache_write_tokens": 400, "requests": 3,
               "timestamp": "2026-11-25T10:00:00.5+01:00", "id": "req-1", "extra": {"nested": [1, 2.5e3, null, true, "x"]} }
            """)
        #expect(full.serviceName == "svc é🔑")
        #expect(full.modelString == "ollama:llama3:8b")
        #expect(full.inputTokens == 1000 && full.cacheReadTokens == 600 && full.cacheWriteTokens == 400)
        #expect(full.requestCount == 3)
        #expect(full.timestamp == RFC3339.unixSeconds("2026-11-25T09:00:00Z"))
        #expect(full.id == "req-1")
        #expect(try record(#"{"service_name":"s","model_string":"a:b","input_tokens":1000000000,"request_count":0}"#).inputTokens == 1_000_000_000)
    }

    @Test("ping, stats, batches")
    func requests() throws {
        #expect(try parser.parse(#"{"op":"ping"}"#) == .ping)
        #expect(try parser.parse(#" {"op":"stats"} "#) == .stats)
        #expect(error(#"{"op":"reboot"}"#) == #"op must be "ping", "stats", "budget" or "metrics""#)
        #expect(try parser.parse("[]") == .batch([]))
        guard
            case .batch(let records) = try parser.parse(
                #"[{"service_name":"a","model_string":"x:y"},{"service_name":"b","model_string":"x:z","output_tokens":5}]"#)
        else {
            Issue.record("not a batch")
            return
        }
        #expect(records.map(\.serviceName) == ["a", "b"])
        #expect(
            error(#"[{"service_name":"a","model_string":"x:y"},{"service_name":"b","model_string":"nocolon"}]"#)?.hasPrefix("record 1: model_string") == true)
        #expect(error(#"[{"service_name":"a","model_string":"x:y"}, 5]"#) == "record 1: must be a JSON object")
        let big = "[" + Array(repeating: #"{"service_name":"a","model_string":"x:y"}"#, count: 10_001).joined(separator: ",") + "]"
        #expect(error(big) == "a batch holds at most 10000 records")
        let ok = "[" + Array(repeating: #"{"service_name":"a","model_string":"x:y"}"#, count: 10_000).joined(separator: ",") + "]"
        if case .batch(let many) = try parser.parse(ok) { #expect(many.count == 10_000) } else { Issue.record("not a batch") }
    }

    @Test(
        "every kind of bad line gets an error naming the field and the rule",
        arguments: [
            ("not json", "invalid JSON"),
            ("", "empty line"),
            ("42", "must be a JSON object"),
            (#""just a string""#, "must be a JSON object"),
            ("null", "must be a JSON object"),
            (#"{"model_string":"a:b"}"#, "service_name is required"),
            (#"{"service_name":"","model_string":"a:b"}"#, "service_name must be 1 to 256 bytes"),
            (#"{"service_name":"s"}"#, "model_string is required"),
            (#"{"service_name":"s","model_string":"gpt-4o"}"#, "model_string must be provider:model"),
            (#"{"service_name":"s","model_string":"openai:"}"#, "model_string must be provider:model"),
            (#"{"service_name":"s","model_string":"Open AI:x"}"#, "model_string must be provider:model"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":-5}"#, "input_tokens must be an integer from 0 to 1000000000"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":500.0}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","output_tokens":1e3}"#, "output_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":"500"}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":1000000001}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":99999999999999999999999}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":1e400}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":null}"#, "input_tokens must be an integer"),
            (#"{"service_name":"s","model_string":"a:b","requests":1000001}"#, "requests must be an integer from 0 to 1000000"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":10,"cache_read_tokens":8,"cache_write_tokens":3}"#, "must not exceed input_tokens"),
            (#"{"service_name":"s","model_string":"a:b","input_tokens":1,"request_tokens":1}"#, "input_tokens and request_tokens are the same field"),
            (#"{"service_name":"s","model_string":"a:b","requests":1,"request_count":1}"#, "request_count and requests are the same field"),
            (#"{"service_name":"s","model_string":"a:b","timestamp":"yesterday"}"#, "timestamp must be an RFC 3339 date-time"),
            (#"{"service_name":"s","model_string":"a:b","timestamp":"2026-02-30T00:00:00Z"}"#, "timestamp must be an RFC 3339"),
            (#"{"service_name":"s","model_string":"a:b","timestamp":"2020-01-01T00:00:00Z"}"#, "timestamp must be within"),
            (#"{"service_name":"s","model_string":"a:b","timestamp":1795600000}"#, "timestamp must be a string"),
            (#"{"service_name":"s\u0000x","model_string":"a:b"}"#, "service_name must not contain control characters"),
            ("{\"service_name\":\"s\u{1}\",\"model_string\":\"a:b\"}", "control character in a string"),
            (#"{"service_name":"s","model_string":"a:b","id":""}"#, "id must be a string of 1 to 128 bytes"),
            (#"{"service_name":"s","model_string":"a:b","service_name":"t"}"#, #"key "service_name" is given twice"#),
            (#"{"service_name":"s","model_string":"a:b"} x"#, "unexpected characters after the value"),
            (#"{"service_name":"s","model_string":"a:b""#, "invalid JSON"),
            (#"{"service_name":"s\ud800","model_string":"a:b"}"#, "lone surrogate"),
        ])
    func bad(line: String, message: String) {
        let result = error(line)
        #expect(result?.contains(message) == true, "\(line) -> \(result ?? "accepted")")
    }

    @Test("invalid UTF-8, long strings, deep nesting")
    func limits() throws {
        var bytes = Array(#"{"service_name":"s"#.utf8) + [0xC3, 0x28] + Array(#"","model_string":"a:b"}"#.utf8)
        #expect(throws: UsageLineError.self) { try parser.parse(bytes) }
        bytes = Array(#"{"service_name":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"","model_string":"a:b"}"#.utf8)
        #expect(throws: UsageLineError.self) { try parser.parse(bytes) }
        let long = String(repeating: "x", count: 257)
        #expect(error(#"{"service_name":"\#(long)","model_string":"a:b"}"#) == "service_name must be 1 to 256 bytes")
        #expect(error(#"{"service_name":"s","model_string":"a:\#(long)"}"#) == "model_string must be at most 256 bytes")
        #expect(error(#"{"service_name":"s","model_string":"a:b","id":"\#(String(repeating: "i", count: 129))"}"#)?.hasPrefix("id must") == true)
        let ok = String(repeating: "[", count: 31) + String(repeating: "]", count: 31)
        _ = try record(#"{"service_name":"s","model_string":"a:b","x":\#(ok)}"#)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(error(#"{"service_name":"s","model_string":"a:b","x":\#(deep)}"#) == "JSON nested deeper than 32 levels")
    }

    @Test("RFC 3339 timestamps: offsets, fractions, leap years, lowercase")
    func timestamps() {
        #expect(RFC3339.unixSeconds("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.unixSeconds("2026-11-25T00:00:00Z") == 1_795_564_800)
        #expect(RFC3339.unixSeconds("2026-11-25t01:30:00.123456+01:30z") == nil)
        #expect(RFC3339.unixSeconds("2026-11-25t01:30:00.123456+01:30") == 1_795_564_800)
        #expect(RFC3339.unixSeconds("2024-02-29T12:00:00-05:00") == 1_709_226_000)
        #expect(RFC3339.unixSeconds("2023-02-29T12:00:00Z") == nil)
        #expect(RFC3339.unixSeconds("2026-11-25 00:00:00Z") == nil)
        #expect(RFC3339.unixSeconds("2026-11-25T24:00:00Z") == nil)
    }

    @Test("a leap second only as the last second of a UTC day, in any offset")
    func leapSeconds() {
        #expect(RFC3339.unixSeconds("2016-12-31T23:59:60Z") == RFC3339.unixSeconds("2016-12-31T23:59:59Z"))
        #expect(RFC3339.unixSeconds("2017-01-01T00:59:60+01:00") == RFC3339.unixSeconds("2016-12-31T23:59:59Z"))
        #expect(RFC3339.unixSeconds("2016-12-31T18:29:60-05:30") == RFC3339.unixSeconds("2016-12-31T23:59:59Z"))
        #expect(RFC3339.unixSeconds("2026-11-25T14:03:60Z") == nil)
        #expect(RFC3339.unixSeconds("2016-12-31T23:58:60Z") == nil)
        #expect(RFC3339.unixSeconds("2016-12-31T23:59:60+01:00") == nil)
        #expect(RFC3339.unixSeconds("2016-12-31T23:59:61Z") == nil)
    }
}
