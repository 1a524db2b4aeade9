import Testing

@testable import ProviderdDashboard

@Suite("What the pages show: dollars, counts, times, links")
struct PageFormatTests {
    @Test("dollars: two places with separators, a sub-cent amount with four, an unreadable text as it is")
    func money() {
        #expect(Money.text("1234.567") == "$1,234.57")
        #expect(Money.text("1234567.1") == "$1,234,567.10")
        #expect(Money.text("0.0042") == "$0.0042")
        #expect(Money.text("0.00004") == "$0.0000")
        #expect(Money.text("0") == "$0.00")
        #expect(Money.text("0.005") == "$0.0050")
        #expect(Money.text("-3.456") == "−$3.46")
        #expect(Money.text("12") == "$12.00")
        #expect(Money.text("not a number") == "not a number" && Money.text("1.2.3") == "1.2.3" && Money.text("") == "")
        #expect(Money.text("9.995") == "$10.00" && Money.text("999.999") == "$1,000.00" && Money.text("0.00995") == "$0.0100")
        #expect(Money.text("0.004") == "$0.0040" && Money.text("0.0000499") == "$0.0000" && Money.text("-0.001") == "−$0.0010")
        #expect(Money.text("-0.00001") == "$0.0000" && Money.text(".5") == "$0.50" && Money.text("7.") == "$7.00")
        #expect(Money.text("000123.4") == "$123.40" && Money.text("0.01") == "$0.01" && Money.text("0.009999") == "$0.0100")
        #expect(Money.count(1_234_567) == "1,234,567" && Money.count(0) == "0" && Money.count(-1_000) == "-1,000")
    }

    @Test("times: RFC 3339 UTC shown to the minute; anything else as it is")
    func timestamps() {
        #expect(Timestamp.text("2026-12-07T03:48:46Z") == "2026-12-07 03:48 UTC")
        #expect(Timestamp.text(nil) == "–")
        #expect(Timestamp.text("yesterday") == "yesterday")
    }

    @Test("a value in a link is one value: &, #, spaces, slashes and non-ASCII are escaped")
    func query() {
        #expect(PageQuery.escape("rag_agent") == "rag_agent")
        #expect(PageQuery.escape("a&b=c#d e/f") == "a%26b%3Dc%23d%20e%2Ff")
        #expect(PageQuery.escape("é") == "%C3%A9")
    }

    @Test("the login page sends a browser back only to one of the dashboard's pages, never elsewhere")
    func loginDestination() {
        #expect(LoginPage.destination("usage") == "/usage")
        #expect(LoginPage.destination("budgets") == "/budgets")
        for hostile in ["/evil.example", "//evil.example", "https://evil.example", "usage/../../x", "", "\\evil", "api/v1/keys"] {
            #expect(LoginPage.destination(hostile) == "/", "\(hostile)")
        }
        #expect(LoginPage.destination(nil) == "/")
        #expect(LoginPage.location(returningTo: "/models") == "/login?next=models")
        #expect(LoginPage.location(returningTo: "/api/v1/keys") == "/login")
        #expect(LoginPage.location(returningTo: "/") == "/login")
    }

    @Test("the week starts on Monday and the month on the 1st, in UTC")
    func periodStarts() {
        #expect(OverviewPage.periodStarts(today: "2026-12-07") == (week: "2026-12-07", month: "2026-12-01"))  // a Monday
        #expect(OverviewPage.periodStarts(today: "2026-12-06") == (week: "2026-11-30", month: "2026-12-01"))  // a Sunday
        #expect(OverviewPage.periodStarts(today: "2027-01-01") == (week: "2026-12-28", month: "2027-01-01"))
        #expect(OverviewPage.periodStarts(today: "1970-01-01") == (week: "1969-12-29", month: "1970-01-01"))
    }
}
