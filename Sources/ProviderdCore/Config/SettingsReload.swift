import Logging

/// What `systemctl reload` (SIGHUP) does with each setting: every key is in
/// `SettingsReload.table`, so that a new setting cannot be added without deciding.
///
/// - `live`: takes effect at the reload. The render half re-reads the database
///   (reconnecting when `database.*` changed), rewrites the files under the new
///   `output.*`, polls at the new interval; the flusher connects to the new
///   `database.url` from its next pass and prices with the new `prices.*`.
/// - `restart`: read once at start (the socket, its limits, the spool and id
///   table, the state directory, the logger). A change is logged once, by name, and
///   waits for `systemctl restart providerd`.
/// - `dashboard`: read by `providerd dashboard` at its own start (a change needs
///   `systemctl restart providerd-dashboard`); `providerd run` does not use it, so
///   its reload says nothing about it.
package enum ReloadClass: String, Sendable, Equatable {
    case live
    case restart
    case dashboard
}

package enum SettingsReload {
    /// Dotted key, its class, and its value as compared between two settings
    /// (never logged: a database URL may carry a password).
    package static let table: [(key: String, reload: ReloadClass, value: @Sendable (ProviderdSettings) -> String)] = [
        ("database.url", .live, { $0.databaseURL ?? "" }),
        ("database.listen_url", .live, { $0.listenURL ?? "" }),
        ("keys.file", .live, { $0.keyFile ?? "" }),
        ("output.env_file", .live, { $0.envFile }),
        ("output.model_map", .live, { $0.modelMap }),
        ("output.model_map_mode", .live, { String($0.modelMapMode, radix: 8) }),
        ("output.owner", .live, { $0.outputOwner.map { String($0) } ?? "" }),
        ("output.group", .live, { $0.outputGroup.map { String($0) } ?? "" }),
        ("output.env_names", .live, { $0.envNameOverrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }),
        ("poll.interval", .live, { "\($0.pollInterval)" }),
        ("startup.wait", .live, { "\($0.startupWait)" }),
        ("usage.flush_interval", .live, { "\($0.flushInterval)" }),
        ("usage.stop_flush_timeout", .live, { "\($0.stopFlushTimeout)" }),
        ("prices.file", .live, { $0.pricesFile ?? "" }),
        ("prices.unknown", .live, { $0.unknownPrice.rawValue }),
        ("budgets.fail_closed", .live, { "\($0.budgetsFailClosed)" }),
        ("budgets.unpriced", .live, { "\($0.budgetsBlockUnpriced)" }),
        ("budgets.refresh_interval", .live, { "\($0.budgetsRefreshInterval)" }),
        ("budgets.stale_after", .live, { "\($0.budgetsStaleAfter)" }),
        ("budgets.on_event", .live, { $0.budgetsOnEvent?.argv.joined(separator: " ") ?? "" }),
        ("budgets.on_event_timeout", .live, { "\($0.budgetsOnEvent?.timeout ?? 10)" }),
        ("metrics.textfile", .restart, { $0.metricsTextfile ?? "" }),
        ("metrics.interval", .restart, { "\($0.metricsInterval)" }),
        ("state.dir", .restart, { $0.stateDir }),
        ("usage.socket", .restart, { $0.socket }),
        ("usage.socket_mode", .restart, { String($0.socketMode, radix: 8) }),
        ("usage.socket_group", .restart, { $0.socketGroup.map { String($0) } ?? "" }),
        ("usage.allow_uids", .restart, { $0.allowUIDs.map(String.init).joined(separator: ",") }),
        ("usage.allow_gids", .restart, { $0.allowGIDs.map(String.init).joined(separator: ",") }),
        ("usage.spool_max_bytes", .restart, { "\($0.spoolMaxBytes)" }),
        ("usage.id_window", .restart, { "\($0.idWindow)" }),
        ("usage.timestamp_window", .restart, { "\($0.timestampWindow)" }),
        ("usage.max_line_bytes", .restart, { "\($0.maxLineBytes)" }),
        ("usage.max_connections", .restart, { "\($0.maxConnections)" }),
        ("usage.idle_timeout", .restart, { "\($0.idleTimeout)" }),
        ("log.level", .restart, { $0.logLevel.rawValue }),
        ("dashboard.listen", .dashboard, { "\($0.dashboard.listen)" }),
        ("dashboard.token_file", .dashboard, { $0.dashboard.adminTokenFile ?? "" }),
        ("dashboard.viewer_token_file", .dashboard, { $0.dashboard.viewerTokenFile ?? "" }),
        ("dashboard.allow_writes", .dashboard, { "\($0.dashboard.allowWrites)" }),
        ("dashboard.secure_cookies", .dashboard, { "\($0.dashboard.secureCookies)" }),
        ("dashboard.allowed_hosts", .dashboard, { ($0.dashboard.allowedHosts ?? []).joined(separator: ",") }),
        ("dashboard.session_ttl", .dashboard, { "\($0.dashboard.sessionTTL)" }),
        ("dashboard.max_body_bytes", .dashboard, { "\($0.dashboard.maxBodyBytes)" }),
        ("dashboard.db_connections", .dashboard, { "\($0.dashboard.databaseConnections)" }),
        ("dashboard.chart_js", .dashboard, { $0.dashboard.chartJS }),
    ]

    package static func reloadClass(of key: String) -> ReloadClass? {
        table.first { $0.key == key }?.reload
    }

    /// Keys whose values differ between `old` and `new`, in table order.
    package static func changedKeys(from old: ProviderdSettings, to new: ProviderdSettings) -> [String] {
        table.filter { $0.value(old) != $0.value(new) }.map(\.key)
    }
}
