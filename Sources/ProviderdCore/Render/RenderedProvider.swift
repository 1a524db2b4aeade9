/// One provider's values ready for the env file: its variable names, and each line
/// it can write, quoted.
///
/// Made once per value and shared by reference between renders: a key change to
/// one provider of a thousand quotes one value and copies a thousand references,
/// where the render an agent waits on would otherwise copy and join every string.
final class RenderedProvider: Sendable {
    let secrets: ProviderSecrets
    let names: EnvNameTable.Names
    /// `NAME=value` for each of `names.ownKeyNames`, then each of `names.aliasKeyNames`.
    let keyLines: [String]
    let baseURLLine: String?
    let headersLine: String?

    /// Throws the first value no env line can carry, naming which it is.
    init(_ secrets: ProviderSecrets, names: EnvNameTable.Names) throws(ProviderProblem) {
        func quote(_ value: String, _ what: String) throws(ProviderProblem) -> String {
            do {
                return try EnvValueQuoting.quote(value)
            } catch {
                throw ProviderProblem(provider: secrets.provider, reason: "\(what) \(error.reason)")
            }
        }
        let key = try quote(secrets.apiKey, "key")
        let baseURL = try secrets.baseURL.map { v throws(ProviderProblem) in try quote(v, "base URL") }
        let headers = try secrets.headers.map { v throws(ProviderProblem) in try quote(v, "headers") }
        self.secrets = secrets
        self.names = names
        keyLines = (names.ownKeyNames + names.aliasKeyNames).map { $0 + "=" + key }
        baseURLLine = baseURL.map { names.baseURLName + "=" + $0 }
        headersLine = headers.map { names.headersName + "=" + $0 }
    }

    /// The line for one of the fields a layout assigns.
    func line(_ field: EnvLayout.Field) -> String {
        switch field {
        case .key(let index): keyLines[index]
        case .baseURL: baseURLLine!
        case .headers: headersLine!
        }
    }
}
