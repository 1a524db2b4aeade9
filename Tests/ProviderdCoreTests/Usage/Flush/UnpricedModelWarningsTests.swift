import Testing

@testable import ProviderdCore

@Suite("Warnings about models without a price: each once, the first few by name")
struct UnpricedModelWarningsTests {
    @Test("each model is named once; past the limit one line says the rest go unnamed, once")
    func capped() {
        var warnings = UnpricedModelWarnings(limit: 3)
        let first = warnings.take(["p:a", "p:b"])
        #expect(first.models == ["p:a", "p:b"] && !first.capReached)
        #expect(warnings.take(["p:a"]).models.isEmpty)
        let second = warnings.take(["p:c", "p:d", "p:e"])
        #expect(second.models == ["p:c"] && second.capReached)
        let third = warnings.take(["p:f"])
        #expect(third.models.isEmpty && !third.capReached)
    }
}
