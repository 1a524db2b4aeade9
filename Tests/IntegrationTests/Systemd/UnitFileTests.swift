import Foundation
import ProviderdCore
import TestSupport
import Testing

@Suite("systemd units")
struct UnitFileTests {
    static let units = TestCluster.repositoryRoot.appendingPathComponent("systemd")

    /// `systemd-analyze security --offline=yes`'s overall exposure level of a unit file.
    static func exposure(_ unit: String) throws -> Double {
        let output = try ProcessRunner.run("/usr/bin/systemd-analyze", ["security", "--offline=yes", "--no-pager", unit])
        let line = output.stdoutText.split(separator: "\n").first { $0.contains("Overall exposure level") }
        guard let value = line?.split(separator: ":").last?.split(separator: " ").first.flatMap({ Double($0) }) else {
            throw TestSupportError("no exposure level for \(unit): \(output.stdoutText) \(output.stderrText)")
        }
        return value
    }

    @Test("systemd-analyze security rates providerd.service 2.0 or lower, with no PrivateUsers= and chown allowed")
    func exposure() throws {
        let unit = Self.units.appendingPathComponent("providerd.service").path
        #expect(try Self.exposure(unit) <= 2.0)
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(!text.contains("\nPrivateUsers="))
        #expect(text.contains("Type=notify"))
        #expect(text.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(text.contains("RuntimeDirectoryPreserve=yes"))
        #expect(text.contains("LoadCredential=providerd.keys:"))
        #expect(text.contains("@chown"))
        // Room for usage.max_connections (default 1024) and the daemon's own files.
        let limit = text.split(separator: "\n").first { $0.hasPrefix("LimitNOFILE=") }.flatMap { Int($0.dropFirst("LimitNOFILE=".count)) }
        #expect((limit ?? 0) >= ProviderdSettings().maxConnections + 64)
    }

    @Test("systemd-analyze security rates providerd-dashboard.service 1.5 or lower: no capability, notify, its token credential")
    func dashboardExposure() throws {
        let unit = Self.units.appendingPathComponent("providerd-dashboard.service").path
        #expect(try Self.exposure(unit) <= 1.5)
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/bin/providerd dashboard\n") && text.contains("Type=notify"))
        #expect(text.contains("\nCapabilityBoundingSet=\n") && !text.contains("AmbientCapabilities"))
        #expect(text.contains("LoadCredential=providerd.dashboard-token:/etc/providerd/dashboard-admin.tokens"))
    }

    @Test("systemd-sysusers takes the sysusers snippet and makes the user; the unit's ConfigurationDirectoryMode is the README's 0750")
    func sysusers() throws {
        let root = try TemporaryDirectory()
        mkdir(root.file("etc"), 0o755)
        let snippet = Self.units.appendingPathComponent("providerd.sysusers.conf").path
        let output = try ProcessRunner.run("/usr/bin/systemd-sysusers", ["--root=\(root.path)", snippet])
        #expect(output.status == 0 && !output.stderrText.contains("not a valid"), "\(output.stderrText)")
        let passwd = (try? String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)) ?? ""
        #expect(passwd.contains("providerd:x:") && passwd.contains(":/var/lib/providerd:"), "\(passwd)")
        let unit = try String(contentsOf: Self.units.appendingPathComponent("providerd.service"), encoding: .utf8)
        #expect(unit.contains("\nConfigurationDirectoryMode=0750\n"))
        // libdispatch renices its workers (to -4 for user-initiated work); a refusal
        // is logged to syslog at every start.
        #expect(unit.contains("\nSystemCallFilter=setpriority\n"))
        #expect(unit.contains("\nLimitNICE=-4\n"))
    }

    @Test("the example agent orders after providerd without binding to it")
    func agent() throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent("example-agent.service"), encoding: .utf8)
        #expect(text.contains("Wants=providerd.service"))
        #expect(text.contains("After=providerd.service"))
        #expect(!text.contains("BindsTo=") && !text.contains("Requires=") && !text.contains("PartOf="))
        #expect(text.contains("EnvironmentFile=-/run/providerd/providers.env"))
    }
}
