import Testing

@testable import ProviderdCore

@Suite("Text tables")
struct TextTableTests {
    @Test("columns are padded to the widest cell; the last is not padded")
    func layout() {
        var table = TextTable(["A", "LONG HEADER", "C"])
        table.append(["wide value", "x", "end"])
        #expect(table.render() == "A           LONG HEADER  C\nwide value  x            end\n")
    }
}
