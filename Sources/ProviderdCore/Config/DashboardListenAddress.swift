/// Where `providerd dashboard` listens: a TCP address (loopback by default), or a
/// Unix socket a reverse proxy (with TLS) connects to.
package enum DashboardListenAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// `HOST:PORT`, `[IPV6]:PORT`, or `unix:/ABSOLUTE/PATH`.
    package init(parsing text: String) throws(DashboardError) {
        func bad(_ rule: String) -> DashboardError {
            DashboardError(.badListenAddress, "dashboard.listen (PROVIDERD_DASHBOARD_LISTEN): '\(text.prefix(120))' \(rule)")
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.utf8.count < 108 else { throw bad("needs an absolute socket path under 108 bytes") }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw bad("must be HOST:PORT (port 1 to 65535) or unix:/PATH")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == ":" || $0 == "-" }) else {
            throw bad("has no valid host before the port")
        }
        self = .tcp(host: host, port: port)
    }

    package var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// The listen address and `localhost` on its port; behind a Unix socket, the
    /// proxy must pass a name the operator lists, so only `localhost`.
    var defaultAllowedHosts: [String] {
        switch self {
        case .tcp(_, let port): [description, "localhost:\(port)"]
        case .unix: ["localhost"]
        }
    }
}
