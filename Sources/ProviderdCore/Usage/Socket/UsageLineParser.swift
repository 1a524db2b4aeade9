#if canImport(Glibc)
    import Glibc
#endif

/// Parses one line of the usage socket into a request, applying every rule of
/// the record fields (the README's socket protocol; docs/ARCHITECTURE.md, path 2). A plain value type over bytes: tested without a
/// socket, against Foundation's JSON decoder as the oracle.
package struct UsageLineParser: Sendable {
    package var limits: UsageLimits

    package init(limits: UsageLimits) {
        self.limits = limits
    }

    package func parse(_ line: UnsafeBufferPointer<UInt8>) throws(UsageLineError) -> UsageRequest {
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

    package func parse(_ line: [UInt8]) throws(UsageLineError) -> UsageRequest {
        do {
            return try line.withUnsafeBufferPointer { buffer throws(UsageLineError) in try parse(buffer) }
        }
    }

    package func parse(_ line: String) throws(UsageLineError) -> UsageRequest {
        try parse(Array(line.utf8))
    }

    private func batch(_ scanner: inout JSONScanner) throws(UsageLineError) -> [UsageRecord] {
        scanner.index += 1
        var records: [UsageRecord] = []
        if scanner.take(UInt8(ascii: "]")) { return records }
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
            guard try scanner.anotherFollows(closing: UInt8(ascii: "]"), "',' or ']'") else { return records }
        }
    }

    private enum Parsed {
        case record(UsageRecord)
        case op(UsageRequest)
    }

    private enum Field: Int, CaseIterable {
        case serviceName, modelString, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens
        case requestCount, requests, requestTokens, responseTokens, timestamp, id, op

        var name: String {
            switch self {
            case .serviceName: "service_name"
            case .modelString: "model_string"
            case .inputTokens: "input_tokens"
            case .outputTokens: "output_tokens"
            case .cacheReadTokens: "cache_read_tokens"
            case .cacheWriteTokens: "cache_write_tokens"
            case .requestCount: "request_count"
            case .requests: "requests"
            case .requestTokens: "request_tokens"
            case .responseTokens: "response_tokens"
            case .timestamp: "timestamp"
            case .id: "id"
            case .op: "op"
            }
        }

        var isString: Bool {
            switch self {
            case .serviceName, .modelString, .timestamp, .id, .op: true
            default: false
            }
        }

        /// The field a key names, compared on the key's raw bytes (no String, no
        /// hashing: this runs for every key of every record).
        static func named(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
            func equals(_ name: StaticString) -> Bool {
                name.utf8CodeUnitCount == key.count && memcmp(name.utf8Start, key.baseAddress!, key.count) == 0
            }
            guard key.count >= 2 else { return nil }
            switch key.count {
            case 2: return equals("id") ? .id : equals("op") ? .op : nil
            case 8: return equals("requests") ? .requests : nil
            case 9: return equals("timestamp") ? .timestamp : nil
            case 12:
                return equals("service_name")
                    ? .serviceName
                    : equals("model_string")
                        ? .modelString
                        : equals("input_tokens") ? .inputTokens : nil
            case 13: return equals("output_tokens") ? .outputTokens : equals("request_count") ? .requestCount : nil
            case 14: return equals("request_tokens") ? .requestTokens : nil
            case 15: return equals("response_tokens") ? .responseTokens : nil
            case 17: return equals("cache_read_tokens") ? .cacheReadTokens : nil
            case 18: return equals("cache_write_tokens") ? .cacheWriteTokens : nil
            default: return nil
            }
        }
    }

    /// The fields of one object, on the stack: no dictionary per record.
    private struct Values {
        var serviceName: String?
        var modelString: String?
        var timestamp: String?
        var id: String?
        var op: String?
        var integers: (Int64?, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?, Int64?) = (nil, nil, nil, nil, nil, nil, nil, nil)

        subscript(integer field: Field) -> Int64? {
            get {
                switch field {
                case .inputTokens: integers.0
                case .outputTokens: integers.1
                case .cacheReadTokens: integers.2
                case .cacheWriteTokens: integers.3
                case .requestCount: integers.4
                case .requests: integers.5
                case .requestTokens: integers.6
                case .responseTokens: integers.7
                default: nil
                }
            }
            set {
                switch field {
                case .inputTokens: integers.0 = newValue
                case .outputTokens: integers.1 = newValue
                case .cacheReadTokens: integers.2 = newValue
                case .cacheWriteTokens: integers.3 = newValue
                case .requestCount: integers.4 = newValue
                case .requests: integers.5 = newValue
                case .requestTokens: integers.6 = newValue
                case .responseTokens: integers.7 = newValue
                default: break
                }
            }
        }

        mutating func set(string field: Field, _ value: String) {
            switch field {
            case .serviceName: serviceName = value
            case .modelString: modelString = value
            case .timestamp: timestamp = value
            case .id: id = value
            case .op: op = value
            default: break
            }
        }
    }

    private func object(_ scanner: inout JSONScanner, depth: Int) throws(UsageLineError) -> Parsed {
        scanner.index += 1
        var seenFields: UInt16 = 0
        var otherKeys: Set<String> = []  // allocated only when a record carries unknown fields
        var values = Values()
        if !scanner.take(UInt8(ascii: "}")) {
            while true {
                scanner.skipWhitespace()
                let field: Field?
                var key = ""
                if let raw = try scanner.plainString() {
                    field = Field.named(raw)
                    // Unknown keys are kept to refuse repeats; known ones need no String.
                    if field == nil { key = String(decoding: raw, as: UTF8.self) }
                } else {
                    key = try scanner.string()
                    field = key.utf8.withContiguousStorageIfAvailable { Field.named($0) } ?? nil
                }
                if let field {
                    guard seenFields & (1 << field.rawValue) == 0 else { throw UsageLineError("key \(quoted(field.name)) is given twice") }
                    seenFields |= 1 << field.rawValue
                } else {
                    // A set, and a cap: one line must not cost more than a linear pass.
                    guard otherKeys.count < UsageLimits.maxOtherKeys else {
                        throw UsageLineError("an object holds at most \(UsageLimits.maxOtherKeys) fields providerd does not use")
                    }
                    guard otherKeys.insert(key).inserted else { throw UsageLineError("key \(quoted(key)) is given twice") }
                }
                try scanner.expect(UInt8(ascii: ":"), "':'")
                scanner.skipWhitespace()
                if let field {
                    if field.isString {
                        guard scanner.peek == UInt8(ascii: "\"") else {
                            try scanner.skipValue(depth: depth + 1)
                            throw UsageLineError("\(field.name) must be a string")
                        }
                        values.set(string: field, try scanner.string())
                    } else {
                        values[integer: field] = try integer(&scanner, field: field, depth: depth)
                    }
                } else {
                    try scanner.skipValue(depth: depth + 1)
                }
                guard try scanner.anotherFollows(closing: UInt8(ascii: "}"), "',' or '}'") else { break }
            }
        }
        if let op = values.op {
            switch op {
            case "ping": return .op(.ping)
            case "stats": return .op(.stats)
            case "metrics": return .op(.metrics)
            case "budget":
                // The names meet a record's rules: the budget asked about is the one a
                // record of this service and model would count toward.
                guard let service = values.serviceName else { throw UsageLineError("op budget needs service_name") }
                guard let model = values.modelString else { throw UsageLineError("op budget needs model_string") }
                if let violation = UsageRecordRule.violation(of: UsageRecord(serviceName: service, modelString: model)) { throw violation }
                return .op(.budget(service: service, model: model))
            default: throw UsageLineError("op must be \"ping\", \"stats\", \"budget\" or \"metrics\"")
            }
        }
        return .record(try record(values))
    }

    private func integer(_ scanner: inout JSONScanner, field: Field, depth: Int) throws(UsageLineError) -> Int64 {
        let maximum = field == .requestCount || field == .requests ? UsageLimits.maxRequests : UsageLimits.maxTokens
        func rule() -> UsageLineError { UsageLineError("\(field.name) must be an integer from 0 to \(maximum)") }
        guard let byte = scanner.peek, byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) else {
            try scanner.skipValue(depth: depth + 1)
            throw rule()
        }
        let number = try scanner.number()
        guard number.integer, !number.negative, number.text.utf8.count <= 10, let value = Int64(number.text), value <= maximum else {
            throw rule()
        }
        return value
    }

    private func record(_ values: Values) throws(UsageLineError) -> UsageRecord {
        guard let service = values.serviceName else { throw UsageLineError("service_name is required") }
        guard let model = values.modelString else { throw UsageLineError("model_string is required") }
        var record = UsageRecord(serviceName: service, modelString: model)
        record.inputTokens = try alias(values, .inputTokens, .requestTokens) ?? 0
        record.outputTokens = try alias(values, .outputTokens, .responseTokens) ?? 0
        record.requestCount = try alias(values, .requestCount, .requests) ?? 1
        record.cacheReadTokens = values[integer: .cacheReadTokens] ?? 0
        record.cacheWriteTokens = values[integer: .cacheWriteTokens] ?? 0
        record.id = values.id
        if let violation = UsageRecordRule.violation(of: record) { throw violation }
        if let text = values.timestamp {
            guard let seconds = RFC3339.unixSeconds(text) else {
                throw UsageLineError("timestamp must be an RFC 3339 date-time such as 2026-11-25T14:03:07Z")
            }
            guard seconds >= limits.now - limits.windowBack, seconds <= limits.now + limits.windowAhead else {
                throw UsageLineError("timestamp must be within \(limits.windowBack) s before and \(limits.windowAhead) s after now")
            }
            record.timestamp = seconds
        }
        return record
    }

    private func alias(_ values: Values, _ field: Field, _ other: Field) throws(UsageLineError) -> Int64? {
        if values[integer: field] != nil && values[integer: other] != nil {
            throw UsageLineError("\(field.name) and \(other.name) are the same field; give one")
        }
        return values[integer: field] ?? values[integer: other]
    }

    private func quoted(_ key: String) -> String {
        "\"" + String(key.unicodeScalars.prefix(64).map { $0.value < 0x20 ? "?" : Character($0) }) + "\""
    }
}
