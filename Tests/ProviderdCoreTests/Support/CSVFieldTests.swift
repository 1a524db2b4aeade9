import Testing

@testable import ProviderdCore

@Suite("CSV export fields")
struct CSVFieldTests {
    @Test("quoted always, quotes doubled, formula starters defused")
    func fields() {
        #expect(CSVField.text("rag_agent") == #""rag_agent""#)
        #expect(CSVField.text(#"a "b", c"#) == #""a ""b"", c""#)
        #expect(CSVField.text("=HYPERLINK(\"http://x\")") == #""'=HYPERLINK(""http://x"")""#)
        for starter in ["+", "-", "@", "\t", "\r"] { #expect(CSVField.text(starter + "1").hasPrefix("\"'")) }
        #expect(CSVField.text("openai:gpt-4o") == #""openai:gpt-4o""#)
    }
}
