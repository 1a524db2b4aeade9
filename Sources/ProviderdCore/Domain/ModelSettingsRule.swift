/// The seed's rules for a service's model settings, in one place: `models set`
/// refuses what breaks them, `check` reports rows that break them, and the
/// renderer leaves out (or keeps the last good entry of) a row it cannot write.
package enum ModelSettingsRule {
    package static let temperatureRange = 0.0...2.0
    /// `model_config.max_tokens` is an `integer` column.
    package static let maxTokensRange = 1...Int(Int32.max)

    /// Why `temperature` breaks the rule (NaN and infinities included), or nil.
    package static func temperatureProblem(_ temperature: Double) -> String? {
        temperature.isFinite && temperatureRange.contains(temperature) ? nil : "must be from 0.0 to 2.0, got \(temperature)"
    }

    package static func maxTokensProblem(_ maxTokens: Int) -> String? {
        if maxTokens < maxTokensRange.lowerBound { return "must be greater than 0, got \(maxTokens)" }
        if maxTokens > maxTokensRange.upperBound { return "must be at most \(maxTokensRange.upperBound), got \(maxTokens)" }
        return nil
    }

    /// Every problem of one row, "field rule" each.
    package static func problems(temperature: Double?, maxTokens: Int?) -> [String] {
        var found: [String] = []
        if let temperature, let problem = temperatureProblem(temperature) { found.append("temperature \(problem)") }
        if let maxTokens, let problem = maxTokensProblem(maxTokens) { found.append("max_tokens \(problem)") }
        return found
    }
}
