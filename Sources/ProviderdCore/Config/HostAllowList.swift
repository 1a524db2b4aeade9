/// The `Host` header values the dashboard answers (`dashboard.allowed_hosts`).
/// A request for any other name is refused before routing: a DNS-rebinding page,
/// or a proxy that forwards what it should not, never reaches the API.
///
/// An entry with a port matches that host and port; one without matches the host
/// on any port. Names compare case-insensitively; nothing else is normalised.
package struct HostAllowList: Sendable, Equatable {
    package let entries: [String]

    package init(entries: [String]) {
        self.entries = entries.map { $0.lowercased() }
    }

    /// Each entry: a host name or address, optionally with `:PORT`, no scheme or path.
    package static func validate(_ entry: String) throws(DashboardError) {
        let ok =
            !entry.isEmpty && entry.utf8.count <= 260
            && entry.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }
        guard ok else {
            throw DashboardError(
                .badAllowedHost,
                "dashboard.allowed_hosts: '\(entry.prefix(80))' must be a host name, optionally with :PORT (no scheme, no path)")
        }
    }

    package func allows(_ host: String?) -> Bool {
        guard let host, !host.isEmpty else { return false }
        let value = host.lowercased()
        for entry in entries {
            if value == entry { return true }
            // An entry without a port: the header's host part, any port.
            if !Self.hasPort(entry), let (name, _) = Self.split(value), name == entry { return true }
        }
        return false
    }

    static func hasPort(_ entry: String) -> Bool {
        if entry.hasPrefix("[") { return entry.contains("]:") }
        return entry.contains(":")
    }

    /// `host:port` or `[v6]:port` into the host and the port text.
    static func split(_ value: String) -> (String, String)? {
        guard let colon = value.lastIndex(of: ":") else { return nil }
        let name = String(value[..<colon])
        if name.hasPrefix("[") != name.hasSuffix("]") { return nil }
        guard value[value.index(after: colon)...].allSatisfy(\.isNumber) else { return nil }
        return (name, String(value[value.index(after: colon)...]))
    }
}
