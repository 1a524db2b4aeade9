/// Which providers' keys a `withhold_key` budget keeps out of the env file, as
/// last logged: each change is said once (withheld, by which budget; back).
struct WithheldKeyLog {
    private var reported: [String: String] = [:]

    /// The providers newly withheld (or now by another budget), and those back.
    mutating func changes(to withheld: [String: String]) -> (taken: [(provider: String, budget: String)], back: [String]) {
        let taken = withheld.sorted { $0.key < $1.key }.filter { reported[$0.key] != $0.value }.map { (provider: $0.key, budget: $0.value) }
        let back = reported.keys.sorted().filter { withheld[$0] == nil }
        reported = withheld
        return (taken, back)
    }
}
