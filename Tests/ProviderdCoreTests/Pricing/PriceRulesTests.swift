import Foundation
import Testing

@testable import ProviderdCore

/// calc_price's rules on small hand-written tables: cache tokens, tiers,
/// conditional prices, request fees, match clauses; and the errors a bad file gets.
@Suite("Price rules")
struct PriceRulesTests {
    static func table(_ providers: String, aliases: String = "{}") throws -> PriceTable {
        try PriceTable(
            json: """
                {"source":{"package":"genai-prices","version":"9.9.9","generated":"2026-11-26"},
                 "aliases":\(aliases),"providers":[\(providers)]}
                """, origin: "test.json")
    }

    static func cost(
        _ table: PriceTable, _ model: String, input: Int64 = 0, output: Int64 = 0, cacheRead: Int64 = 0,
        cacheWrite: Int64 = 0, requests: Int64 = 1, at timestamp: Int64 = PriceTableTests.noon
    ) -> Decimal? {
        var pricer = UsagePricer(table: table, unknown: .zero)
        let result = pricer.price(
            PriceTableTests.record(
                model, input: input, output: output, cacheRead: cacheRead,
                cacheWrite: cacheWrite, requests: requests), at: timestamp)
        return result.priced ? result.cost : nil
    }

    static let d = PriceTableTests.d

    @Test("cache tokens are priced apart only when the model prices them; otherwise as input")
    func cacheTokens() throws {
        let table = try Self.table(
            """
            {"id":"p","models":[
              {"id":"both","match":{"equals":"both"},"prices":{"input_mtok":"3","output_mtok":"15","cache_read_mtok":"0.3","cache_write_mtok":"3.75"}},
              {"id":"read","match":{"equals":"read"},"prices":{"input_mtok":"3","output_mtok":"15","cache_read_mtok":"0.3"}},
              {"id":"none","match":{"equals":"none"},"prices":{"input_mtok":"3","output_mtok":"15"}},
              {"id":"noinput","match":{"equals":"noinput"},"prices":{"output_mtok":"15"}}]}
            """)
        // 1,000,000 input of which 200,000 cache read and 100,000 cache write; 10,000 output.
        let usage = { (model: String) in Self.cost(table, "p:\(model)", input: 1_000_000, output: 10_000, cacheRead: 200_000, cacheWrite: 100_000) }
        #expect(usage("both") == Self.d("2.1") + Self.d("0.06") + Self.d("0.375") + Self.d("0.15"))
        #expect(usage("read") == Self.d("2.4") + Self.d("0.06") + Self.d("0.15"))
        #expect(usage("none") == Self.d("3") + Self.d("0.15"))
        #expect(usage("noinput") == Self.d("0.15"))
    }

    @Test("a tier applies to all tokens once the record's whole input exceeds its start")
    func tiers() throws {
        let table = try Self.table(
            """
            {"id":"p","models":[{"id":"t","match":{"equals":"t"},"prices":{
              "input_mtok":{"base":"1","tiers":[{"start":400000,"price":"4"},{"start":200000,"price":"2"}]},
              "output_mtok":{"base":"10","tiers":[{"start":200000,"price":"20"}]},
              "cache_read_mtok":{"base":"0.1","tiers":[{"start":200000,"price":"0.2"}]}}}]}
            """)
        #expect(Self.cost(table, "p:t", input: 200_000, output: 1_000_000) == Self.d("0.2") + Self.d("10"))
        // 200,001 input (100,000 of it cache read): every token at the second rate.
        #expect(
            Self.cost(table, "p:t", input: 200_001, output: 1_000_000, cacheRead: 100_000)
                == Self.d("0.200002") + Self.d("0.02") + Self.d("20"))
        #expect(Self.cost(table, "p:t", input: 400_001) == Self.d("1.600004"))
        #expect(Self.cost(table, "p:t", input: 0, output: 1_000_000) == Self.d("10"))
    }

    @Test("the last conditional price in force applies: start dates and daily UTC windows, wrapping midnight")
    func conditionalPrices() throws {
        let table = try Self.table(
            """
            {"id":"p","models":[{"id":"c","match":{"equals":"c"},"prices":[
              {"when":null,"input_mtok":"1"},
              {"when":{"start_date":"2026-09-10"},"input_mtok":"2"},
              {"when":{"start_time":"16:30:00","end_time":"00:30:00"},"input_mtok":"0.5"}]},
             {"id":"early","match":{"equals":"early"},"prices":[
              {"when":{"start_date":"2030-01-01"},"input_mtok":"7"},
              {"when":{"start_date":"2031-01-01"},"input_mtok":"8"}]}]}
            """)
        let sept10 = RFC3339.unixSeconds("2026-09-10T00:00:00Z")!
        let cost = { (t: Int64) in Self.cost(table, "p:c", input: 1_000_000, at: t) }
        #expect(cost(sept10 - 1 - 86_400 / 2) == Self.d("1"))  // 9 September, 12:00
        #expect(cost(sept10 + 3_600) == Self.d("2"))  // 01:00 on the start date
        #expect(cost(sept10 - 1) == Self.d("0.5"))  // 23:59:59, in the window before the start date
        #expect(cost(RFC3339.unixSeconds("2026-11-26T16:29:59Z")!) == Self.d("2"))
        #expect(cost(RFC3339.unixSeconds("2026-11-26T16:30:00Z")!) == Self.d("0.5"))
        #expect(cost(RFC3339.unixSeconds("2026-11-27T00:29:59Z")!) == Self.d("0.5"))
        #expect(cost(RFC3339.unixSeconds("2026-11-27T00:30:00Z")!) == Self.d("2"))
        // None in force: the first entry.
        #expect(Self.cost(table, "p:early", input: 1_000_000) == Self.d("7"))
    }

    @Test("a request fee is charged per request")
    func requestFee() throws {
        let table = try Self.table(
            """
            {"id":"p","models":[{"id":"f","match":{"equals":"f"},"prices":{"input_mtok":"1","requests_kcount":"12"}}]}
            """)
        #expect(Self.cost(table, "p:f", input: 1_000_000) == Self.d("1.012"))
        #expect(Self.cost(table, "p:f", input: 1_000_000, requests: 3) == Self.d("1.036"))
    }

    @Test("match clauses, provider match, fallback providers, aliases and litellm")
    func matching() throws {
        let table = try Self.table(
            """
            {"id":"first","provider_match":{"or":[{"contains":"one"},{"equals":"uno"}]},"fallback":["second"],"models":[
              {"id":"a","match":{"and":[{"starts_with":"Model-"},{"ends_with":"-A"}]},"prices":{"input_mtok":"1"}},
              {"id":"b","match":{"regex":"^model-\\\\d{8}$"},"prices":{"input_mtok":"2"}},
              {"id":"c","match":{"contains":"-c-"},"prices":{"input_mtok":"3"}}]},
            {"id":"second","models":[
              {"id":"d","match":{"equals":"only-in-second"},"prices":{"input_mtok":"4"}},
              {"id":"e","match":{"equals":"e-2025-12-11"},"prices":{"input_mtok":"5"}}]}
            """, aliases: #"{"alias":"first"}"#)
        let id = { (model: String) in PriceTableTests.resolved(table, model)?.model }
        #expect(id("first:model-x-a") == "a")
        #expect(id("first:MODEL-X-A") == "a")  // lowercased, as genai-prices does
        #expect(id("first:model-12345678") == "b")
        #expect(id("first:model-1234567") == nil)
        #expect(id("first:x-c-y") == "c")
        #expect(id("first:only-in-second") == "d")  // fallback provider
        #expect(id("first:e-20251211") == "e")  // compact date, through the fallback
        #expect(id("someone:model-x-a") == "a")  // provider match: contains "one"
        #expect(id("uno:model-x-a") == "a")
        #expect(id("alias:model-x-a") == "a")
        #expect(id("litellm:second/only-in-second") == "d")
        #expect(id("second:model-x-a") == nil)  // no fallback from second
        #expect(PriceMatch.equals("é").matches("e\u{301}", regexes: RegexCache()) == false)  // by scalars, as Python
    }

    @Test("a bad price file gets an error naming the place and the problem")
    func badFiles() {
        func message(_ json: String) -> String? {
            do {
                _ = try PriceTable(json: json, origin: "bad.json")
                return nil
            } catch let error as PriceTableError {
                #expect(error.origin == "bad.json")
                return error.message
            } catch {
                return "unexpected \(error)"
            }
        }
        let head = #"{"source":{"package":"genai-prices","version":"1","generated":"x"},"aliases":{},"providers":"#
        #expect(message("{not json") == "not valid JSON")
        #expect(message(#"{"aliases":{},"providers":[]}"#) == "the document: 'source' is missing")
        #expect(
            message(#"{"source":{"package":"other","version":"1","generated":"x"},"aliases":{},"providers":[]}"#)?
                .contains("expected genai-prices") == true)
        let badDecimal = message(head + #"[{"id":"p","models":[{"id":"m","match":{"equals":"m"},"prices":{"input_mtok":"1e3"}}]}]}"#)
        #expect(badDecimal == "providers[0] (p).models[0] (m).prices.input_mtok: '1e3' is not a non-negative decimal")
        let negative = message(head + #"[{"id":"p","models":[{"id":"m","match":{"equals":"m"},"prices":{"output_mtok":"-1"}}]}]}"#)
        #expect(negative?.contains("output_mtok: '-1' is not a non-negative decimal") == true)
        let badRegex = message(head + #"[{"id":"p","models":[{"id":"m","match":{"regex":"(unclosed"},"prices":{}}]}]}"#)
        #expect(badRegex?.hasPrefix("providers[0] (p).models[0] (m).match: regex '(unclosed' does not compile") == true)
        let badClause = message(head + #"[{"id":"p","models":[{"id":"m","match":{"equals":"m","contains":"x"},"prices":{}}]}]}"#)
        #expect(badClause?.contains("exactly one of") == true)
        let badFallback = message(head + #"[{"id":"p","fallback":["q"],"models":[]}]}"#)
        #expect(badFallback == "providers[0] (p): fallback provider 'q' is not in the file")
        let badTime = message(
            head + #"[{"id":"p","models":[{"id":"m","match":{"equals":"m"},"prices":[{"when":{"start_time":"25:00:00","end_time":"01:00:00"}}]}]}]}"#)
        #expect(badTime == "providers[0] (p).models[0] (m).prices[0].when.start_time: '25:00:00' is not HH:MM:SS (UTC)")
        let badDate = message(head + #"[{"id":"p","models":[{"id":"m","match":{"equals":"m"},"prices":[{"when":{"start_date":"2026-02-30"}}]}]}]}"#)
        #expect(badDate?.contains("'2026-02-30' is not a date") == true)
        let missingModels = message(head + #"[{"id":"p"}]}"#)
        #expect(missingModels == "providers[0]: 'models' is missing")
    }

    @Test("a price file that cannot be read says so, with its path")
    func unreadableFile() {
        #expect(throws: PriceTableError.self) { try PriceTable.load(file: "/nonexistent/prices.json") }
        do {
            _ = try PriceTable.load(file: "/nonexistent/prices.json")
        } catch {
            #expect("\(error)".hasPrefix("prices /nonexistent/prices.json: cannot be read"))
        }
    }
}
