#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The two files' contents for one generation, and what was wrong on the way.
package struct RenderResult: Sendable, Equatable {
    /// `NAME=value` lines, sorted, without the generation line.
    package var envLines: [String]
    /// Service name → entry of models.json.
    package var services: [String: ModelMapEntry]
    /// Providers whose current row could not be used (the last good value is used
    /// where there is one).
    package var problems: [ProviderProblem]
    /// Providers served from an older value because the current one was refused.
    package var staleProviders: [String]
    /// Providers with a key in this env file.
    package var providersWithKeys: Set<String>
    /// Services whose row could not be written (their last good entry is used
    /// where there is one).
    package var serviceProblems: [ServiceProblem] = []
    /// Providers whose key an exceeded `withhold_key` budget keeps out, and that budget.
    package var withheldProviders: [String: String] = [:]
    /// Set by the publisher: the providers rendered before `api_keys` showed no
    /// rows at all (0 when it shows rows).
    package var vanishedProviders = 0

    /// What the generation counts: the rendered content without the generation.
    package var digest: String {
        let json = ModelMapEntry.render(services: services, generation: nil)
        var content = envBody
        content.append("\u{0}")
        content.append(json)
        return Fingerprint.sha256Hex(of: Array(content.utf8))
    }

    /// The lines, newline-separated, without the generation line.
    private var envBody: String { envLines.joined(separator: "\n") }

    package func envFile(generation: Int) -> String {
        var text = envBody
        if !envLines.isEmpty { text.append("\n") }
        text.append("PROVIDERD_GENERATION=\(generation)\n")
        return text
    }

    package func modelMap(generation: Int) -> String {
        ModelMapEntry.render(services: services, generation: generation)
    }
}
