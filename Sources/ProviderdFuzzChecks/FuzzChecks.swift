import Foundation
import ProviderdCore

/// The properties each fuzz target checks, beyond "no crash". A violated property
/// stops the process (`preconditionFailure`), which libFuzzer reports as a crash
/// and saves the input; the unit tests replay the seed corpora and every saved
/// crash through the same checks.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// Usage line parser: whatever it accepts, Foundation's JSONSerialization
    /// accepts as JSON; a record it returns holds only values the rules allow.
    case usageLine = "usage-line"
    /// Spool line decoder: arbitrary bytes decode or not without a crash; a record
    /// made from the input round-trips through encode and decode.
    case spoolLine = "spool-line"
    /// `ids.log` reader: arbitrary lines without a crash; any id (any bytes)
    /// round-trips through one line and never becomes two records.
    case idLog = "id-log"
    /// Fernet: arbitrary tokens are refused without a crash; plaintext from the
    /// input round-trips through encrypt and decrypt.
    case fernetToken = "fernet-token"
    /// Env value quoting: a value that `quote` accepts is read back exactly by the
    /// readers' model; a refused one has a reason that does not hold the value.
    case envQuoting = "env-quoting"
    /// Price file loader: arbitrary JSON is refused or loaded without a crash; a
    /// loaded table resolves model strings without a crash.
    case priceFile = "price-file"
}

package enum FuzzChecks {
    static let key = try! FernetKey(base64: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
    static let now: Int64 = 1_795_600_000

    package static func run(_ target: FuzzTarget, _ bytes: [UInt8]) {
        switch target {
        case .usageLine: usageLine(bytes)
        case .spoolLine: spoolLine(bytes)
        case .idLog: idLog(bytes)
        case .fernetToken: fernetToken(bytes)
        case .envQuoting: envQuoting(bytes)
        case .priceFile: priceFile(bytes)
        }
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError(message()) }
    }

    static func usageLine(_ bytes: [UInt8]) {
        let parser = UsageLineParser(limits: UsageLimits(now: now, windowBack: 604_800))
        guard let request = try? parser.parse(bytes) else { return }
        let json = try? JSONSerialization.jsonObject(with: Data(bytes))
        check(json != nil, "the parser accepted what JSONSerialization refuses")
        var records: [UsageRecord] = []
        switch request {
        case .record(let record): records = [record]
        case .batch(let batch): records = batch
        case .ping, .stats, .budget, .metrics: return
        }
        for record in records {
            check(!record.serviceName.isEmpty && record.serviceName.utf8.count <= 256, "service_name length")
            // By byte: a combining mark after the colon makes one Character of both.
            check(record.modelString.utf8.contains(UInt8(ascii: ":")) && record.modelString.utf8.count <= 256, "model_string")
            check(ModelString.split(record.modelString) != nil, "a model string the parser accepts does not split")
            check(!hasControl(record.serviceName) && !hasControl(record.modelString), "control character in a string")
            check((0...UsageLimits.maxTokens).contains(record.inputTokens), "input_tokens range")
            check(record.cacheReadTokens + record.cacheWriteTokens <= record.inputTokens, "cache > input")
            if let id = record.id { check(!id.isEmpty && id.utf8.count <= 128 && !hasControl(id), "id rule") }
        }
    }

    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    static func spoolLine(_ bytes: [UInt8]) {
        if let decoded = SpoolLine.decode(bytes) {
            // What decodes is stable: encode it again and it reads the same.
            let again = SpoolLine.encode(decoded.record, timestamp: decoded.timestamp)
            check(SpoolLine.decode(again)?.record == decoded.record, "decoded record does not re-encode to itself")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        var record = UsageRecord(serviceName: parts.first ?? "", modelString: parts.count > 1 ? parts[1] : "m:x")
        record.inputTokens = Int64(bytes.count)
        record.outputTokens = Int64(bytes.first ?? 0)
        record.id = parts.count > 2 ? parts[2] : nil
        record.timestamp = now
        let line = SpoolLine.encode(record, timestamp: now, acceptedAt: now)
        check(!line.dropLast().contains(UInt8(ascii: "\n")), "an encoded spool line holds a newline")
        let decoded = SpoolLine.decode(line.dropLast())
        check(decoded?.record == record && decoded?.timestamp == now, "spool line round trip")
    }

    static func idLog(_ bytes: [UInt8]) {
        for line in bytes.split(separator: UInt8(ascii: "\n")) { _ = IdLog.decodeLine(Array(line)) }
        let id = String(decoding: bytes, as: UTF8.self)
        guard !id.isEmpty else { return }
        let written = IdLog.encodeLine(id: id, acceptedAt: now)
        let lines = written.split(separator: UInt8(ascii: "\n"))
        check(lines.count == 1, "one id became \(lines.count) lines")
        let read = IdLog.decodeLine(Array(lines[0]))
        check(read?.id == id && read?.acceptedAt == now, "id log round trip")
        // Any single flipped byte is caught by the line's check (or still reads the same).
        for position in stride(from: 0, to: lines[0].count, by: max(1, lines[0].count / 8)) {
            var damaged = Array(lines[0])
            damaged[position] ^= 0x01
            if let other = IdLog.decodeLine(damaged) { check(other.id == id && other.acceptedAt == now, "a damaged line read as another id") }
        }
    }

    static func fernetToken(_ bytes: [UInt8]) {
        _ = try? Fernet.decrypt(String(decoding: bytes, as: UTF8.self), key: key)
        guard let token = try? Fernet.encrypt(bytes, key: key, timestamp: now) else { return check(false, "encrypt failed") }
        check((try? Fernet.decrypt(token, key: key)) == bytes, "Fernet round trip")
        var tampered = Array(token.utf8)
        if !tampered.isEmpty {
            let position = Int(bytes.first ?? 0) % tampered.count
            tampered[position] = tampered[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            if let opened = try? Fernet.decrypt(String(decoding: tampered, as: UTF8.self), key: key) {
                check(opened == bytes, "a tampered token opened to other bytes")
            }
        }
    }

    static func envQuoting(_ bytes: [UInt8]) {
        guard let value = String(validating: bytes, as: UTF8.self) else { return }
        do {
            let written = try EnvValueQuoting.quote(value)
            check(EnvValueQuoting.read(written) == value, "quoting does not read back")
            check(!written.contains("\n") && !written.contains("${"), "a written value holds a newline or ${")
        } catch {
            // A reason may name characters (`'$'`, a code point) but never quote the
            // value: it is the same for the value with every character that decides
            // nothing replaced by `a`, and short. (A substring test flagged `'$' `,
            // whose bytes are in the reason's own "'$' together with"; found by fuzzing.)
            let deciding: Set<Unicode.Scalar> = ["$", "`", "'", "\\", "{"]
            let scrubbed = String(
                String.UnicodeScalarView(value.unicodeScalars.map { deciding.contains($0) || ControlCharacters.isControl($0) ? $0 : "a" }))
            var again: String? = nil
            do { _ = try EnvValueQuoting.quote(scrubbed) } catch { again = error.reason }
            check(again == error.reason, "a refusal's reason depends on characters that decide nothing")
            check(error.reason.utf8.count <= 160, "a refusal's reason is long enough to hold the value")
        }
    }

    static func priceFile(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self),
            let table = try? PriceTable(json: text, origin: "fuzz")
        else { return }
        let regexes = RegexCache()
        for model in ["openai:gpt-4o", "anthropic:claude-3-5-sonnet-20241022", "x:" + text.prefix(40)] {
            if case .priced(_, _, let schedule, _) = table.resolve(model, regexes: regexes) {
                let record = UsageRecord(serviceName: "s", modelString: model, inputTokens: 1_000, outputTokens: 1_000)
                let cost = schedule.rates(at: now).cost(of: record)
                check(cost >= 0, "a negative cost")
            }
        }
    }
}
