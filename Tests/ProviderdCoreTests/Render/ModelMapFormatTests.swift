import Foundation
import Testing

@testable import ProviderdCore

/// models.json and the header JSON are now written by FoundationEssentials'
/// JSONEncoder; until then JSONSerialization wrote them. Agents, digests and the
/// generation counter depend on those bytes, so both writers must agree on every
/// input, tricky numbers and characters included. (The test target may link full
/// Foundation; the daemon does not need it for this.)
@Suite("models.json and header bytes, as JSONSerialization wrote them")
struct ModelMapFormatTests {
    /// The writer the daemon used before, kept here as the reference.
    static func reference(services: [String: ModelMapEntry], generation: Int?) throws -> String {
        var object: [String: Any] = [:]
        object["services"] = services.mapValues { entry -> [String: Any] in
            [
                "model": entry.model, "provider": entry.provider, "model_name": entry.modelName,
                "temperature": entry.temperature, "max_tokens": entry.maxTokens.map { $0 as Any } ?? NSNull(),
                "api_key_configured": entry.apiKeyConfigured,
            ]
        }
        if let generation { object["generation"] = generation }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static let strings = [
        "openai:gpt-4o", "", "a/b/c", "quote\"and\\backslash", "tab\tnew\nline\r\u{1}\u{1f}\u{7f}", "ünïcødé ☃ 𝄞 e\u{301}",
        "<script>&'", "\u{2028}\u{2029}", "emoji 👩‍👩‍👧",
    ]
    static let temperatures: [Double] = [0, 0.7, 1, 1.5, 2, -0.0, 0.1 + 0.2, 1e-7, 123456789.125, 1e21, 1e22, 5e-324, 0.3333333333333333]

    /// Service names as the seed and operators spell them: lower-case words
    /// joined by `_`, where code-point order (JSONEncoder's, and Python's
    /// `sort_keys`) and JSONSerialization's numeric, case-blind order agree.
    static let serviceNames = ServiceDefaults.models.map(\.service) + ["agent", "agent_b", "chat", "zeta_agent", "a"]

    @Test("every value shape gives the same bytes, with and without a generation")
    func sameBytes() throws {
        var services: [String: ModelMapEntry] = [:]
        var index = 0
        for text in Self.strings {
            for (t, temperature) in Self.temperatures.enumerated() {
                let name = Self.serviceNames[index % Self.serviceNames.count] + String(repeating: "_x", count: index / Self.serviceNames.count)
                index += 1
                services[name] = ModelMapEntry(
                    model: text, provider: text, modelName: text, temperature: temperature,
                    maxTokens: t % 3 == 0 ? nil : t * 1000 - 1, apiKeyConfigured: t % 2 == 0)
            }
        }
        for generation in [nil, 0, 1, 987_654_321] as [Int?] {
            let expected = try Self.reference(services: services, generation: generation)
            #expect(ModelMapEntry.render(services: services, generation: generation) == expected)
        }
    }

    /// The one difference: names whose orders differ (`svc2`/`svc10`, `a-b`/`a_b`,
    /// `B`/`a`) are now listed in code-point order, as DESIGN.md's "sorted keys"
    /// and Python's `json.dumps(sort_keys=True)` list them. The document is the same.
    @Test("other service names: the same document, members in code-point order")
    func codePointOrder() throws {
        let names = ["svc2", "svc10", "Svc", "svc_a", "svc-a", "B", "a", "\u{2028}", "é"]
        let entry = ModelMapEntry(model: "openai:gpt-4o", provider: "openai", modelName: "gpt-4o", temperature: 0.7, maxTokens: nil, apiKeyConfigured: true)
        let services = Dictionary(uniqueKeysWithValues: names.map { ($0, entry) })
        let written = ModelMapEntry.render(services: services, generation: 4)
        let parse = { (text: String) in try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary }
        #expect(try parse(written) == (try parse(Self.reference(services: services, generation: 4))))
        let order = written.split(separator: "\n").filter { $0.hasPrefix("    \"") }.map { String($0.dropFirst(5).prefix { $0 != "\"" }) }
        #expect(order == names.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) })
    }

    @Test("headers: the stored and rendered spelling is the one JSONSerialization gave")
    func headers() throws {
        var headers: [String: String] = [:]
        for (index, text) in Self.strings.enumerated() { headers["X-\(index)-\(text)"] = text }
        let reference = try JSONSerialization.data(withJSONObject: headers, options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(try HeaderJSON.encode(headers) == String(decoding: reference, as: UTF8.self))
        // What PostgreSQL's jsonb gives back (spaces after ':' and ','), re-spelled.
        #expect(try ProviderDecryptor.compactHeaders(#"{"b": "2/3", "a": "x\"y"}"#) == #"{"a":"x\"y","b":"2/3"}"#)
        #expect(try ProviderDecryptor.compactHeaders("{}") == nil)
        for bad in [#"{"a": 1}"#, #"["a"]"#, #""a""#, "not json", #"{"a": null}"#] {
            #expect(throws: ConfigurationError.self) { try ProviderDecryptor.compactHeaders(bad) }
        }
    }
}
