import Foundation
import Testing

@testable import ProviderdCore

/// Foundation's JSON decoder as the oracle: on generated records with every kind of
/// escape and unknown field, both must read the same values; on random corruptions
/// of them, whatever Foundation refuses as JSON the parser must refuse too.
@Suite("Usage line parser against Foundation's JSONSerialization")
struct UsageLineParserOracleTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func bool() -> Bool { next() & 1 == 1 }

        static let alphabet: [Unicode.Scalar] = ["a", "Z", "0", "_", "-", " ", "\"", "\\", "/", "é", "ß", "€", "🔑", "中", "\u{2028}"]

        mutating func text(maxLength: Int) -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<int(1...maxLength) { scalars.append(Self.alphabet[int(0...(Self.alphabet.count - 1))]) }
            return String(scalars)
        }

        /// JSON string literal, escaping in a random but valid way.
        mutating func literal(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "/": out += bool() ? "\\/" : "/"
                default:
                    if bool() && bool() {
                        for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }

        mutating func junk(depth: Int) -> String {
            switch int(0...(depth > 3 ? 3 : 5)) {
            case 0: return String(int(-1000...1000))
            case 1: return "\(int(0...99)).\(int(0...99))e\(int(-5...5))"
            case 2: return literal(text(maxLength: 6))
            case 3: return ["true", "false", "null"][int(0...2)]
            case 4: return "[" + (0..<int(0...3)).map { _ in junk(depth: depth + 1) }.joined(separator: ",") + "]"
            default: return "{" + (0..<int(0...3)).map { i in "\"k\(i)\":" + junk(depth: depth + 1) }.joined(separator: ",") + "}"
            }
        }
    }

    @Test("same values as Foundation on 3,000 generated records; refuses every corruption Foundation refuses")
    func oracle() throws {
        let parser = UsageLineParser(limits: UsageLimits(now: 1_795_600_000))
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var refusedCorruptions = 0
        for round in 0..<3_000 {
            let service = generator.text(maxLength: 20)
            let model = "p\(generator.int(0...9)):" + generator.text(maxLength: 12)
            let input = generator.int(0...1_000_000), output = generator.int(0...1_000_000)
            let cacheRead = generator.int(0...input)
            var fields = [
                "\"service_name\":" + generator.literal(service),
                "\"model_string\":" + generator.literal(model),
                "\"input_tokens\":\(input)", "\"output_tokens\":\(output)", "\"cache_read_tokens\":\(cacheRead)",
            ]
            for i in 0..<generator.int(0...3) { fields.append("\"x\(i)\":" + generator.junk(depth: 0)) }
            for i in stride(from: fields.count - 1, to: 0, by: -1) { fields.swapAt(i, generator.int(0...i)) }
            let spaces = [" ", "", "\t", "  "]
            let line = "{" + fields.joined(separator: "," + spaces[generator.int(0...3)]) + "}"

            let oracle = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            guard case .record(let record) = try parser.parse(line) else {
                Issue.record("round \(round): not a record")
                continue
            }
            let serviceOK = !service.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
            #expect(serviceOK, "generator made a control character")
            #expect(record.serviceName == oracle["service_name"] as? String)
            #expect(record.modelString == oracle["model_string"] as? String)
            #expect(record.serviceName == service && record.modelString == model)
            #expect(record.inputTokens == Int64(input) && record.outputTokens == Int64(output) && record.cacheReadTokens == Int64(cacheRead))

            // Corrupt the line: flip, drop or insert a byte.
            var bytes = Array(line.utf8)
            let position = generator.int(0...(bytes.count - 1))
            switch generator.int(0...2) {
            case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            case 1: bytes.remove(at: position)
            default: bytes.insert([UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: ","), 0xFF, 0x00][generator.int(0...4)], at: position)
            }
            if (try? JSONSerialization.jsonObject(with: Data(bytes))) == nil {
                refusedCorruptions += 1
                #expect(throws: UsageLineError.self, "round \(round): accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))") {
                    try parser.parse(bytes)
                }
            }
        }
        #expect(refusedCorruptions > 500)
    }
}
