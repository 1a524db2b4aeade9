import Testing

@testable import ProviderdCore

@Suite("dashboard.listen and dashboard.allowed_hosts")
struct DashboardAddressTests {
    @Test("listen addresses: IPv4, IPv6, Unix socket; bad ones named")
    func listen() throws {
        #expect(try DashboardListenAddress(parsing: "127.0.0.1:8787") == .tcp(host: "127.0.0.1", port: 8787))
        #expect(try DashboardListenAddress(parsing: "[::1]:9000") == .tcp(host: "::1", port: 9000))
        #expect(try DashboardListenAddress(parsing: "unix:/run/providerd/dashboard.sock") == .unix(path: "/run/providerd/dashboard.sock"))
        for bad in ["8787", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":8787", "unix:relative", "a b:80", "http://x:80"] {
            #expect(throws: DashboardError.self, "\(bad)") { try DashboardListenAddress(parsing: bad) }
        }
        #expect(DashboardListenAddress.tcp(host: "::1", port: 1).description == "[::1]:1")
    }

    @Test("the default allow-list is the listen address and localhost on its port")
    func defaults() {
        let list = DashboardSettings().hostAllowList
        #expect(list.allows("127.0.0.1:8787") && list.allows("localhost:8787") && list.allows("LOCALHOST:8787"))
        #expect(!list.allows("127.0.0.1:8788") && !list.allows("localhost") && !list.allows("evil.example:8787"))
        #expect(!list.allows(nil) && !list.allows(""))
        #expect(!list.allows("127.0.0.1:8787.evil.example") && !list.allows("evil@127.0.0.1:8787"))
    }

    @Test("an entry without a port matches any port; IPv6 in brackets")
    func entries() throws {
        let list = HostAllowList(entries: ["dash.example.com", "[::1]:8787"])
        #expect(list.allows("dash.example.com") && list.allows("dash.example.com:443") && list.allows("Dash.Example.com:8443"))
        #expect(!list.allows("dash.example.com.evil:443") && !list.allows("sub.dash.example.com"))
        #expect(list.allows("[::1]:8787") && !list.allows("[::1]:8788"))
        for bad in ["https://dash.example.com", "dash.example.com/x", "", "a b"] {
            #expect(throws: DashboardError.self, "\(bad)") { try HostAllowList.validate(bad) }
        }
    }

    @Test("the settings loader reads the dashboard keys and refuses bad values with the key's name")
    func loader() async throws {
        let settings = try await SettingsLoader(
            environment: [
                "PROVIDERD_DASHBOARD_LISTEN": "unix:/run/d.sock", "PROVIDERD_DASHBOARD_ALLOW_WRITES": "true",
                "PROVIDERD_DASHBOARD_ALLOWED_HOSTS": "dash.example.com, localhost", "PROVIDERD_DASHBOARD_TOKEN_FILE": "/etc/p/admin.tokens",
            ], configFile: nil, skipUnreadableDefault: true
        ).load()
        #expect(settings.dashboard.listen == .unix(path: "/run/d.sock") && settings.dashboard.allowWrites)
        #expect(settings.dashboard.allowedHosts == ["dash.example.com", "localhost"])
        #expect(settings.dashboard.adminTokenFile == "/etc/p/admin.tokens")
        await #expect(throws: (any Error).self) {
            try await SettingsLoader(environment: ["PROVIDERD_DASHBOARD_ALLOW_WRITES": "yes"], skipUnreadableDefault: true).load()
        }
        await #expect(throws: (any Error).self) {
            try await SettingsLoader(environment: ["PROVIDERD_DASHBOARD_TOKEN_FILE": "relative"], skipUnreadableDefault: true).load()
        }
    }
}
