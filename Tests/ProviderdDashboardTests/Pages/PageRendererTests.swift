import Foundation
import Logging
import ProviderdAPI
import ProviderdCore
import Testing

@testable import ProviderdDashboard

@Suite("The templates: rendered with hostile values, and nothing in them a strict CSP would refuse")
struct PageRendererTests {
    static let assets = DashboardAssets.load(chartPath: "/nonexistent/chart.min.js", logger: Logger(label: "test"))

    @Test("every template of dashboard/templates is embedded and renders")
    func everyTemplate() throws {
        let renderer = try PageRenderer(assets: Self.assets)
        #expect(
            Set(Self.assets.templates.keys)
                == ["layout", "login", "error", "budget-bar", "overview", "usage", "models", "providers", "budgets", "recommendations"])
        #expect(Self.assets.files["app.css"] != nil && Self.assets.files["usage.js"] != nil && Self.assets.files["favicon.svg"] != nil)
        #expect(!Self.assets.hasChart && Self.assets.files["chart.min.js"] == nil)
        let login = renderer.html(LoginPage(next: "usage", assetVersion: Self.assets.version), template: "login")
        #expect(login.contains("<title>Log in · providerd</title>") && login.contains("/static/app.css?v=\(Self.assets.version)"))
    }

    @Test("a hostile service, model and key name is text everywhere: in an element, in an attribute, in a link")
    func hostileValuesEscaped() throws {
        let renderer = try PageRenderer(assets: Self.assets)
        let hostile = #"x"><script>alert(1)</script><img src=x onerror=alert(2) a='"#
        let caller = DashboardCaller(user: hostile, role: .admin, credential: .bearer, writesAllowed: true, client: "t")
        let frame = PageFrame(title: "Models", path: "/models", caller: caller, assetVersion: "v")
        let models = [
            Components.Schemas.ServiceModel(service: hostile, model: "openai:\(hostile)", temperature: 0.7, _default: false, updated_by: hostile)
        ]
        var edit = FormState(values: ["service": hostile, "model": hostile])
        edit.errors["model"] = hostile
        let html = renderer.html(ModelsPage(frame: frame, models: models, edit: edit, bulk: FormState()), template: "models")
        #expect(!html.contains("<script>alert") && !html.contains("<img src=x") && !html.contains("onerror=alert(2) a='"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&quot;&gt;"))
        #expect(html.contains("/models?service=x%22%3E%3Cscript%3E"))
    }

    @Test("no template holds an inline script, an inline style, an event handler or another host's URL")
    func nothingTheCSPRefuses() {
        for (name, text) in Self.assets.templates {
            let lower = text.lowercased()
            #expect(!lower.contains(" style="), "\(name): a style attribute")
            #expect(!lower.contains("<style"), "\(name): a style element")
            #expect(!lower.contains("javascript:"), "\(name): a javascript: URL")
            #expect(!lower.contains("http://") && !lower.contains("https://") || name == "providers", "\(name): another host")
            for handler in [" onclick=", " onload=", " onerror=", " onchange=", " onsubmit=", " oninput="] {
                #expect(!lower.contains(handler), "\(name): \(handler)")
            }
            var rest = lower[...]
            while let open = rest.range(of: "<script") {
                let tag = rest[open.lowerBound...].prefix { $0 != ">" }
                #expect(tag.contains(" src=\"/static/"), "\(name): an inline script")
                rest = rest[open.upperBound...]
            }
        }
        #expect(PageRenderer.contentSecurityPolicy.contains("script-src 'self'") && !PageRenderer.contentSecurityPolicy.contains("unsafe"))
    }
}

@Suite("The one piece of a page built outside the templates")
struct HTMLTextTests {
    @Test("escaping is Mustache's: & < > \" ' as entities; the usage rows escape every value, and no template has another triple brace")
    func escaping() throws {
        #expect(HTMLText.escape(#"a&b<c>d"e'f"#) == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTMLText.escape("2026-12-07") == "2026-12-07" && HTMLText.escape("é<") == "é&lt;")
        let hostile = UsagePage.Cell(text: "<b>", exact: #"1" onmouseover="x"#)
        let rows = UsagePage.rows([UsagePage.Day(date: "<script>", total: hostile, cells: [hostile])])
        #expect(!rows.contains("<script>") && !rows.contains("<b>") && !rows.contains(#"" onmouseover"#))
        #expect(rows.hasPrefix(#"<tr><th scope="row">&lt;script&gt;</th><td class="total" data-v="1&quot; onmouseover=&quot;x">&lt;b&gt;</td>"#))
        for (name, text) in PageRendererTests.assets.templates {
            let triples = text.components(separatedBy: "{{{").count - 1
            #expect(triples == (name == "usage" ? 1 : 0), "\(name): \(triples) triple braces")
        }
        let renderer = try PageRenderer(assets: PageRendererTests.assets)
        let page = UsagePage(
            frame: PageViewTests.frame, daily: PageViewTests.daily([("k", ["1.5"])], days: ["2026-12-01"]), today: "2026-12-01", hasChart: true)
        #expect(page.rows.contains(#"<td data-v="1.5">$1.50</td>"#) && renderer.html(page, template: "usage").contains(page.rows))
    }
}
