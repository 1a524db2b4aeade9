/// Whether a provider key about to be stored could be written to the env file:
/// refused before anything is stored are a value no env line can carry, and a
/// provider whose variable names are taken by another (`co` and cohere's
/// `CO_API_KEY`, `foo_bar` beside an existing `foo-bar`). The rule is the
/// renderer's own: it runs `ConfigRenderer` over the other active rows and this
/// one. Stand-in values take the other rows' secrets' place, since the names
/// depend only on which fields are set.
package enum RenderableKey {
    /// Another active row, as far as names go.
    package struct OtherRow: Sendable, Equatable {
        package var provider: String
        package var hasBaseURL: Bool
        package var hasHeaders: Bool

        package init(provider: String, hasBaseURL: Bool, hasHeaders: Bool) {
            self.provider = provider
            self.hasBaseURL = hasBaseURL
            self.hasHeaders = hasHeaders
        }
    }

    /// The renderer's reason for refusing `provider` with these values, or nil.
    package static func refusal(
        provider: String, secret: String, baseURL: String?, headers: String?, others: [OtherRow], envNames: EnvNameTable
    ) -> String? {
        var candidates: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        for other in others where other.provider != provider {
            candidates[other.provider] = .success(
                ProviderSecrets(
                    provider: other.provider, apiKey: "x", baseURL: other.hasBaseURL ? "https://x" : nil,
                    headers: other.hasHeaders ? "{}" : nil))
        }
        candidates[provider] = .success(ProviderSecrets(provider: provider, apiKey: secret, baseURL: baseURL, headers: headers))
        var renderer = ConfigRenderer(table: envNames)
        let result = renderer.render(candidates: candidates, services: [])
        return result.problems.first(where: { $0.provider == provider })?.reason
    }
}
