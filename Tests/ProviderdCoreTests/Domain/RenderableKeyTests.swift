import Testing

@testable import ProviderdCore

@Suite("A key is stored only if the env file could carry it (the renderer's own rule, no database)")
struct RenderableKeyTests {
    let names = EnvNameTable(overrides: [:])

    @Test("a plain key beside other providers: nothing to refuse")
    func plain() {
        let others = [RenderableKey.OtherRow(provider: "anthropic", hasBaseURL: false, hasHeaders: false)]
        #expect(RenderableKey.refusal(provider: "openai", secret: "sk-1", baseURL: nil, headers: nil, others: others, envNames: names) == nil)
    }

    @Test("a value no env line can carry is refused, naming why")
    func unquotable() throws {
        let reason = try #require(
            RenderableKey.refusal(provider: "openai", secret: "it's $x", baseURL: nil, headers: nil, others: [], envNames: names))
        #expect(reason.contains("key"))
    }

    @Test("a provider whose variable another already owns is refused: foo_bar beside foo-bar, co beside cohere")
    func taken() {
        let fooBar = [RenderableKey.OtherRow(provider: "foo-bar", hasBaseURL: false, hasHeaders: false)]
        #expect(RenderableKey.refusal(provider: "foo_bar", secret: "k", baseURL: nil, headers: nil, others: fooBar, envNames: names) != nil)
        let cohere = [RenderableKey.OtherRow(provider: "cohere", hasBaseURL: false, hasHeaders: false)]
        #expect(RenderableKey.refusal(provider: "co", secret: "k", baseURL: nil, headers: nil, others: cohere, envNames: names) != nil)
    }
}
