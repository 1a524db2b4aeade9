/// A usage record as one line of a spool segment: compact JSON with every field
/// explicit and the timestamp resolved to Unix seconds, so that a flush after a
/// restart prices and dates the record exactly as it was accepted.
package enum SpoolLine {
    /// `acceptedAt` (Unix seconds) is kept with an id, so that the idempotency
    /// window survives restarts.
    package static func encode(_ record: UsageRecord, timestamp: Int64, acceptedAt: Int64 = 0) -> [UInt8] {
        var out: [UInt8] = []
        encode(record, timestamp: timestamp, acceptedAt: acceptedAt, into: &out)
        return out
    }

    /// Appends the line to `out` (the intake's hot path: no temporary arrays).
    package static func encode(_ record: UsageRecord, timestamp: Int64, acceptedAt: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"s":"#.utf8)
        appendString(record.serviceName, to: &out)
        out.append(contentsOf: #","m":"#.utf8)
        appendString(record.modelString, to: &out)
        appendField(",\"i\":", record.inputTokens, to: &out)
        appendField(",\"o\":", record.outputTokens, to: &out)
        appendField(",\"cr\":", record.cacheReadTokens, to: &out)
        appendField(",\"cw\":", record.cacheWriteTokens, to: &out)
        appendField(",\"n\":", record.requestCount, to: &out)
        appendField(",\"t\":", timestamp, to: &out)
        if let id = record.id {
            out.append(contentsOf: #","id":"#.utf8)
            appendString(id, to: &out)
            appendField(",\"a\":", acceptedAt, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    @inline(__always)
    static func appendField(_ name: StaticString, _ value: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while n > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Calls `body` with each non-empty line of `bytes` (without its newline), in
    /// order, without building an array of lines: a segment holds hundreds of
    /// thousands of them.
    package static func forEachLine(in bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
                if end > start { try body(UnsafeBufferPointer(rebasing: buffer[start..<end])) }
                start = end + 1
            }
        }
    }

    /// A spooled record and its resolved timestamp; nil for a line that is not one
    /// (a torn last line after a crash: never acknowledged, so safely dropped).
    package static func decode(_ line: some Collection<UInt8>) -> (record: UsageRecord, timestamp: Int64)? {
        decodeWithAcceptance(line).map { ($0.record, $0.timestamp) }
    }

    /// Reads a line `encode` wrote, with the scanner the socket uses (the flush
    /// reads every spooled record: Foundation's decoder was most of its time).
    /// Every field but `id` and `a` must be there, and every value within the
    /// socket's rules (`UsageRecordRule`); anything else is not a line.
    static func decodeWithAcceptance(_ line: some Collection<UInt8>) -> (record: UsageRecord, timestamp: Int64, acceptedAt: Int64)? {
        if let decoded = line.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return decoded }
        return Array(line).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> (record: UsageRecord, timestamp: Int64, acceptedAt: Int64)? {
        var scanner = JSONScanner(buffer)
        var service: String?, model: String?, id: String?
        var input: Int64?, output: Int64?, cacheRead: Int64?, cacheWrite: Int64?, requests: Int64?
        var timestamp: Int64?, acceptedAt: Int64?
        func integer(_ scanner: inout JSONScanner) throws(UsageLineError) -> Int64 {
            let number = try scanner.number()
            guard number.integer, let value = Int64(number.text) else { throw UsageLineError("not an integer") }
            return value
        }
        do {
            try scanner.expect(UInt8(ascii: "{"), "{")
            while true {
                scanner.skipWhitespace()
                let key = try scanner.string()
                try scanner.expect(UInt8(ascii: ":"), ":")
                scanner.skipWhitespace()
                switch key {
                case "s": service = try scanner.string()
                case "m": model = try scanner.string()
                case "id": id = try scanner.string()
                case "i": input = try integer(&scanner)
                case "o": output = try integer(&scanner)
                case "cr": cacheRead = try integer(&scanner)
                case "cw": cacheWrite = try integer(&scanner)
                case "n": requests = try integer(&scanner)
                case "t": timestamp = try integer(&scanner)
                case "a": acceptedAt = try integer(&scanner)
                default: try scanner.skipValue(depth: 1)
                }
                guard try scanner.anotherFollows(closing: UInt8(ascii: "}"), "}") else { break }
            }
            scanner.skipWhitespace()
        } catch {
            return nil
        }
        guard scanner.atEnd, let service, let model, let input, let output, let cacheRead, let cacheWrite,
            let requests, let timestamp
        else { return nil }
        let record = UsageRecord(
            serviceName: service, modelString: model, inputTokens: input, outputTokens: output,
            cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, requestCount: requests,
            timestamp: timestamp, id: id)
        // Read back from disk, checked as a line from the socket is: a damaged value
        // makes the line unreadable (quarantined), never a trap or a negative count.
        let accepted = acceptedAt ?? timestamp
        guard UsageRecordRule.violation(of: record) == nil, UsageRecordRule.isStorable(second: timestamp),
            UsageRecordRule.isStorable(second: accepted)
        else { return nil }
        return (record, timestamp, accepted)
    }

    /// JSON string literal; only `"`, `\` and control characters need escapes.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
