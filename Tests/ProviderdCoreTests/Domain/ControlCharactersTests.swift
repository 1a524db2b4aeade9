import Testing

@testable import ProviderdCore

@Suite("One rule each: control characters, service names, usable model strings")
struct ControlCharactersTests {
    /// Unicode's own category is the oracle for the byte-level scan.
    @Test("the byte scan finds exactly Unicode's Cc characters, for every scalar, alone and inside text")
    func agreesWithUnicode() {
        var checked = 0
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let expected = scalar.properties.generalCategory == .control
            #expect(ControlCharacters.isControl(scalar) == expected, "U+\(value)")
            let text = "a\u{E9}" + String(Character(scalar)) + "z"
            let found = ControlCharacters.first(inUTF8: text.utf8)
            if expected != (found == scalar) { Issue.record("U+\(String(value, radix: 16)) found \(String(describing: found))") }
            checked += 1
        }
        #expect(checked == 1_112_064)
    }

    @Test("code points are named U+XXXX, uppercase, at least four digits")
    func codePointNames() {
        #expect(ControlCharacters.codePoint("\u{0}") == "U+0000")
        #expect(ControlCharacters.codePoint("\u{9F}") == "U+009F")
        #expect(ControlCharacters.codePoint("\u{1F600}") == "U+1F600")
    }

    @Test("service names: 1 to 256 bytes, no control character")
    func serviceNames() {
        #expect(ServiceName.violation("rag_agent") == nil)
        #expect(ServiceName.violation(String(repeating: "é", count: 128)) == nil)
        #expect(ServiceName.violation(String(repeating: "é", count: 128) + "x") == .length)
        #expect(ServiceName.violation("") == .length)
        #expect(ServiceName.violation("a\u{85}b") == .controlCharacter)
        #expect(ServiceName.violation("a\tb") == .controlCharacter)
    }

    @Test("usable model strings: a valid provider, a colon, a model name, no control character")
    func usableModelStrings() {
        #expect(ModelString.isUsable("openai:gpt-4o"))
        #expect(ModelString.isUsable("ollama:llama3:8b"))
        #expect(ModelString.isUsable("openai:\u{301}x"))
        #expect(!ModelString.isUsable("openai:"))
        #expect(!ModelString.isUsable(":gpt-4o"))
        #expect(!ModelString.isUsable("OpenAI:gpt-4o"))
        #expect(!ModelString.isUsable("gpt-4o"))
        #expect(!ModelString.isUsable("openai:gpt\u{7F}"))
    }
}
