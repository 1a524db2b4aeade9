/// The `dashboard.*` settings of the configuration file (and `PROVIDERD_DASHBOARD_*`).
/// Read at start: a change needs a restart of `providerd-dashboard`.
package struct DashboardSettings: Sendable, Equatable {
    /// `dashboard.listen`: `127.0.0.1:8787`, `[::1]:8787`, or `unix:/PATH` for a reverse proxy.
    package var listen = DashboardListenAddress.tcp(host: "127.0.0.1", port: 8787)
    /// `dashboard.token_file`: the admin tokens.
    package var adminTokenFile: String?
    /// `dashboard.viewer_token_file`: the read-only tokens.
    package var viewerTokenFile: String?
    /// `dashboard.allow_writes`: off, even an admin only reads.
    package var allowWrites = false
    /// `dashboard.secure_cookies`: the session cookie gets `Secure` (behind TLS).
    package var secureCookies = false
    /// `dashboard.allowed_hosts`: the `Host` values served; nil is the listen address and localhost.
    package var allowedHosts: [String]?
    /// `dashboard.session_ttl`: seconds a session lives after login.
    package var sessionTTL = 28_800.0
    /// `dashboard.max_body_bytes`: the largest request body read.
    package var maxBodyBytes = 1 << 20
    /// `dashboard.db_connections`: the database connections requests share.
    package var databaseConnections = 4
    /// `dashboard.chart_js`: Chart.js, served to the pages at `/static/chart.min.js`.
    /// Debian's `libjs-chart.js` (a dependency of the package) puts it here.
    package var chartJS = "/usr/share/javascript/chart.js/chart.min.js"

    package init() {}

    /// The `Host` values served.
    package var hostAllowList: HostAllowList {
        HostAllowList(entries: allowedHosts ?? listen.defaultAllowedHosts)
    }
}
