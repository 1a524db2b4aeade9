/// Which models without a price the flusher names in a warning: each once, and
/// only the first `limit`, then one line saying the rest go unnamed. A client
/// inventing model names must not flood the journal. Cleared on SIGHUP, since
/// new prices may price them.
struct UnpricedModelWarnings {
    let limit: Int
    private var named: Set<String> = []
    private var capReported = false

    init(limit: Int = 50) {
        self.limit = limit
    }

    /// The models of `unpriced` to warn about now, and whether the cap was reached
    /// for the first time (say so once).
    mutating func take(_ unpriced: Set<String>) -> (models: [String], capReached: Bool) {
        var models: [String] = []
        for model in unpriced.sorted() where !named.contains(model) {
            guard named.count < limit else {
                let first = !capReported
                capReported = true
                return (models, first)
            }
            named.insert(model)
            models.append(model)
        }
        return (models, false)
    }
}
