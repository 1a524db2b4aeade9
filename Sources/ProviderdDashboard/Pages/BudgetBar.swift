import ProviderdAPI

/// A budget's spend as a bar: the fill to the spend, a tick at each threshold,
/// drawn as SVG by the template (attributes, no inline style: the pages' CSP
/// allows none). The scale reaches the highest threshold or the spend, whichever
/// is further, so a threshold above the limit (1.2) is on the bar too.
struct BudgetBar: Sendable {
    struct Tick: Sendable {
        var x: String
        var label: String
    }

    var name: String
    var scope: String
    var period: String
    var action: String
    var state: String
    var spent: String
    var limit: String
    var remaining: String
    var percent: String
    var resets: String
    var fill: String
    var ticks: [Tick]
    var label: String
    var active: Bool
    var stale: Bool
    var unpriced: Int64

    init(status: Components.Schemas.BudgetStatus, thresholds: [Double]) {
        name = status.name
        scope = status.scope
        period = status.period
        action = status.action
        state = status.is_active ? status.state.rawValue : "inactive"
        spent = Money.text(status.spent_usd)
        limit = Money.text(status.limit_usd)
        remaining = Money.text(status.remaining_usd)
        percent = Self.number(status.percent) + "%"
        resets = Timestamp.text(status.resets_at)
        active = status.is_active
        stale = status.stale
        unpriced = status.unpriced_requests
        let fraction = status.percent / 100
        let scale = max(1, thresholds.max() ?? 1, fraction)
        fill = Self.number(min(100, max(0, fraction / scale * 100)))
        ticks = thresholds.sorted().map { Tick(x: Self.number($0 / scale * 100), label: Self.number($0 * 100) + "%") }
        let thresholdText = ticks.isEmpty ? "" : "; thresholds at " + ticks.map(\.label).joined(separator: ", ")
        label = "\(spent) of \(limit) spent (\(percent))\(thresholdText)"
    }

    /// Up to two decimals, without trailing zeros: `62.5`, `80`.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
