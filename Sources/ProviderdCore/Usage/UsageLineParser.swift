/// Parses one line of the usage socket into a request, applying every rule of
/// DESIGN.md's record table. A plain value type over bytes: tested without a
/// socket, against Foundation's JSON decoder as the oracle.
public struct UsageLineParser: Sendable {
    public var limits: UsageLimits

    public init(limits: UsageLimits) {
        self.limits = limits
    }

    public func parse(_ line: UnsafeBufferPointer<UInt8>) throws(UsageLineError) -> UsageRequest {
        var scanner = JSONScanner(line)
        scanner.skipWhitespace()
        guard let first = scanner.peek else { throw UsageLineError("empty line: expected a JSON object or array") }
        let request: UsageRequest
        switch first {
        case UInt8(ascii: "{"):
            switch try object(&scanner, depth: 1) {
            case .record(let record): request = .record(record)
            case .op(let op): request = op
            }
        case UInt8(ascii: "["):
            request = .batch(try batch(&scanner))
        default:
            try scanner.skipValue(depth: 1)
            throw UsageLineError("a line must be a JSON object (a record) or an array of records")
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw UsageLineError("invalid JSON: unexpected characters after the value at byte \(scanner.index)") }
        return request
    }

    public func parse(_ line: [UInt8]) throws(UsageLineError) -> UsageRequest {
        do {
            return try line.withUnsafeBufferPointer { buffer throws(UsageLineError) in try parse(buffer) }
        }
    }

    public func parse(_ line: String) throws(UsageLineError) -> UsageRequest {
        try parse(Array(line.utf8))
    }

    private func batch(_ scanner: inout JSONScanner) throws(UsageLineError) -> [UsageRecord] {
        scanner.index += 1
        var records: [UsageRecord] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            scanner.index += 1
            return records
        }
        while true {
            let position = records.count
            guard position < UsageLimits.maxBatch else {
                throw UsageLineError("a batch holds at most \(UsageLimits.maxBatch) records")
            }
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: "{") else {
                if scanner.peek == nil { throw UsageLineError("invalid JSON: unexpected end of line") }
                try scanner.skipValue(depth: 2)
                throw UsageLineError("record \(position): must be a JSON object")
            }
            let parsed: Parsed
            do {
                parsed = try object(&scanner, depth: 2)
            } catch {
                throw UsageLineError("record \(position): \(error.message)")
            }
            guard case .record(let record) = parsed else {
                throw UsageLineError("record \(position): an op cannot be part of a batch")
            }
            records.append(record)
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
            try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
            return records
        }
    }

    private enum Parsed {
        case record(UsageRecord)
        case op(UsageRequest)
    }

    private enum Field: Int, CaseIterable {
        case serviceName, modelString, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens
        case requestCount, requests, requestTokens, responseTokens, timestamp, id, op

        static let byName: [String: Field] = [
            "service_name": .serviceName, "model_string": .modelString, "input_tokens": .inputTokens,
            "output_tokens": .outputTokens, "cache_read_tokens": .cacheReadTokens, "cache_write_tokens": .cacheWriteTokens,
            "request_count": .requestCount, "requests": .requests, "request_tokens": .requestTokens,
            "response_tokens": .responseTokens, "timestamp": .timestamp, "id": .id, "op": .op,
        ]
    }

    private func object(_ scanner: inout JSONScanner, depth: Int) throws(UsageLineError) -> Parsed {
        scanner.index += 1
        var seen = Set<String>()
        var strings: [Field: String] = [:]
        var integers: [Field: Int64] = [:]
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let key = try scanner.string()
                guard seen.insert(key).inserted else { throw UsageLineError("key \(quoted(key)) is given twice") }
                try scanner.expect(UInt8(ascii: ":"), "':'")
                scanner.skipWhitespace()
                if let field = Field.byName[key] {
                    switch field {
                    case .serviceName, .modelString, .timestamp, .id, .op:
                        guard scanner.peek == UInt8(ascii: "\"") else {
                            try scanner.skipValue(depth: depth + 1)
                            throw UsageLineError("\(key) must be a string")
                        }
                        strings[field] = try scanner.string()
                    default:
                        integers[field] = try integer(&scanner, name: key, depth: depth)
                    }
                } else {
                    try scanner.skipValue(depth: depth + 1)
                }
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
                break
            }
        }
        if let op = strings[.op] {
            switch op {
            case "ping": return .op(.ping)
            case "stats": return .op(.stats)
            default: throw UsageLineError("op must be \"ping\" or \"stats\"")
            }
        }
        return .record(try record(strings: strings, integers: integers))
    }

    private func integer(_ scanner: inout JSONScanner, name: String, depth: Int) throws(UsageLineError) -> Int64 {
        let maximum = name == "request_count" || name == "requests" ? UsageLimits.maxRequests : UsageLimits.maxTokens
        let rule = "\(name) must be an integer from 0 to \(maximum)"
        guard let byte = scanner.peek, byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) else {
            try scanner.skipValue(depth: depth + 1)
            throw UsageLineError(rule)
        }
        let number = try scanner.number()
        guard number.integer, !number.negative, number.text.count <= 10, let value = Int64(number.text), value <= maximum else {
            throw UsageLineError(rule)
        }
        return value
    }

    private func record(strings: [Field: String], integers: [Field: Int64]) throws(UsageLineError) -> UsageRecord {
        guard let service = strings[.serviceName] else { throw UsageLineError("service_name is required") }
        guard !service.isEmpty, service.utf8.count <= 256 else { throw UsageLineError("service_name must be 1 to 256 bytes") }
        guard !hasControl(service) else { throw UsageLineError("service_name must not contain control characters") }
        guard let model = strings[.modelString] else { throw UsageLineError("model_string is required") }
        guard model.utf8.count <= 256 else { throw UsageLineError("model_string must be at most 256 bytes") }
        guard let colon = model.firstIndex(of: ":"), ProviderName.isValid(model[..<colon]),
              model.index(after: colon) != model.endIndex, !hasControl(model)
        else {
            throw UsageLineError("model_string must be provider:model with provider matching ^[a-z][a-z0-9_-]{0,63}$ and a non-empty model")
        }
        var record = UsageRecord(serviceName: service, modelString: model)
        record.inputTokens = try alias(integers, .inputTokens, "input_tokens", .requestTokens, "request_tokens") ?? 0
        record.outputTokens = try alias(integers, .outputTokens, "output_tokens", .responseTokens, "response_tokens") ?? 0
        record.requestCount = try alias(integers, .requestCount, "request_count", .requests, "requests") ?? 1
        record.cacheReadTokens = integers[.cacheReadTokens] ?? 0
        record.cacheWriteTokens = integers[.cacheWriteTokens] ?? 0
        guard record.cacheReadTokens + record.cacheWriteTokens <= record.inputTokens else {
            throw UsageLineError("cache_read_tokens + cache_write_tokens must not exceed input_tokens (input includes cache tokens)")
        }
        if let text = strings[.timestamp] {
            guard let seconds = RFC3339.unixSeconds(text) else {
                throw UsageLineError("timestamp must be an RFC 3339 date-time such as 2026-11-25T14:03:07Z")
            }
            guard seconds >= limits.now - limits.windowBack, seconds <= limits.now + limits.windowAhead else {
                throw UsageLineError("timestamp must be within \(limits.windowBack) s before and \(limits.windowAhead) s after now")
            }
            record.timestamp = seconds
        }
        if let id = strings[.id] {
            guard !id.isEmpty, id.utf8.count <= 128 else { throw UsageLineError("id must be a string of 1 to 128 bytes") }
            record.id = id
        }
        return record
    }

    private func alias(_ integers: [Field: Int64], _ field: Field, _ name: String, _ other: Field, _ otherName: String)
        throws(UsageLineError) -> Int64?
    {
        if integers[field] != nil && integers[other] != nil {
            throw UsageLineError("\(name) and \(otherName) are the same field; give one")
        }
        return integers[field] ?? integers[other]
    }

    private func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    private func quoted(_ key: String) -> String {
        "\"" + String(key.unicodeScalars.prefix(64).map { $0.value < 0x20 ? "?" : Character($0) }) + "\""
    }
}
