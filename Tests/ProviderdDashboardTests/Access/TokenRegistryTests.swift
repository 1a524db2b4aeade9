import Foundation
import ProviderdCore
import TestSupport
import Testing

@testable import ProviderdDashboard

@Suite("Dashboard token files")
struct TokenRegistryTests {
    func write(_ directory: TemporaryDirectory, _ name: String, _ text: String, mode: Int = 0o600) -> String {
        let path = directory.path + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        return path
    }

    @Test("NAME:TOKEN and bare lines, comments skipped; a token matches its user and role, nothing else does")
    func matches() throws {
        let directory = try TemporaryDirectory()
        let alice = try DashboardToken.generate(), bare = try DashboardToken.generate(), viewer = try DashboardToken.generate()
        var settings = DashboardSettings()
        settings.adminTokenFile = write(directory, "admin", "# admins\n\nalice:\(alice)\n  \(bare)  \n")
        settings.viewerTokenFile = write(directory, "viewer", "victor:\(viewer)\n")
        let registry = try TokenRegistry.load(settings: settings, environment: [:])
        #expect(registry.match(alice)?.user == "alice" && registry.match(alice)?.role == .admin)
        #expect(registry.match(bare)?.user == "admin")
        #expect(registry.match(viewer)?.role == .viewer && registry.match(viewer)?.user == "victor")
        #expect(registry.match("alice:\(alice)")?.user == "alice", "a pasted file line works")
        #expect(registry.match(String(alice.dropLast())) == nil)
        #expect(registry.match("") == nil)
        #expect(registry.match(alice + "x") == nil)
        let match = try #require(registry.match(alice))
        #expect(registry.contains(fingerprint: match.fingerprint, role: .admin))
        #expect(!registry.contains(fingerprint: match.fingerprint, role: .viewer))
        #expect(alice.hasPrefix("pdt_") && alice.count == 47)
    }

    @Test("a file others can read, a short token, a bad name, no tokens at all: each refused, naming the file and never the token")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        var settings = DashboardSettings()
        let token = try DashboardToken.generate()
        settings.adminTokenFile = write(directory, "open", "alice:\(token)\n", mode: 0o644)
        #expect(throws: DashboardError.self) { try TokenRegistry.load(settings: settings, environment: [:]) }
        do {
            _ = try TokenRegistry.load(settings: settings, environment: [:])
        } catch {
            #expect(error.message.contains("chmod 600") && !error.message.contains(token))
        }
        settings.adminTokenFile = write(directory, "short", "alice:tooshort-secret\n")
        do {
            _ = try TokenRegistry.load(settings: settings, environment: [:])
            Issue.record("a short token was accepted")
        } catch {
            #expect(error.code == .badTokenFile && error.message.contains("line 1") && !error.message.contains("tooshort-secret"))
        }
        settings.adminTokenFile = write(directory, "name", "al ice:\(token)\n")
        #expect(throws: DashboardError.self) { try TokenRegistry.load(settings: settings, environment: [:]) }
        settings.adminTokenFile = nil
        do {
            _ = try TokenRegistry.load(settings: settings, environment: [:])
            Issue.record("no tokens was accepted")
        } catch {
            #expect(error.code == .noTokens && error.message.contains("providerd dashboard token"))
        }
    }

    @Test("the systemd credential is read when no file is configured")
    func credential() throws {
        let directory = try TemporaryDirectory()
        let token = try DashboardToken.generate()
        _ = write(directory, TokenRegistry.adminCredential, "ops:\(token)\n", mode: 0o400)
        let registry = try TokenRegistry.load(settings: DashboardSettings(), environment: ["CREDENTIALS_DIRECTORY": directory.path])
        #expect(registry.match(token)?.user == "ops")
        #expect(registry.sources[.admin] == "credential providerd.dashboard-token")
    }
}
