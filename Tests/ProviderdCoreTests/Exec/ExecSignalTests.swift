import Foundation
import Glibc
import Testing

@testable import ProviderdCore

@Suite("Exec signals and options")
struct ExecSignalTests {
    @Test("names, short names and numbers")
    func names() throws {
        #expect(ExecSignal.named("SIGHUP") == SIGHUP)
        #expect(ExecSignal.named("hup") == SIGHUP)
        #expect(ExecSignal.named("15") == SIGTERM)
        #expect(ExecSignal.named("SIGNOPE") == nil)
        #expect(ExecSignal.named("0") == nil)
        #expect(ExecSignal.name(SIGUSR1) == "SIGUSR1")
        #expect(try ExecSignal.parseOnChange("signal:SIGHUP") == .signal(SIGHUP))
        #expect(try ExecSignal.parseOnChange("restart") == .restart)
        #expect(try ExecSignal.parseOnChange("none") == .none)
        #expect(throws: ConfigurationError.self) { try ExecSignal.parseOnChange("reload") }
        #expect(throws: ConfigurationError.self) { try ExecSignal.parseOnChange("signal:BOGUS") }
    }

    @Test("exactly the issue's signals are forwarded: no SIGCHLD, SIGPIPE or SIGURG")
    func forwardedSet() {
        #expect(Set(ExecSignal.forwarded) == [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH])
    }

    @Test("a /proc stat line with spaces and parentheses in the command")
    func statLine() {
        #expect(ProcStat.parse("123 (a (b) c) Z 1 120 120 0", pid: 123) == ProcStat(pid: 123, state: "Z", parent: 1, group: 120))
        #expect(ProcStat.parse("123 (a (b) c) Z 1 120 120 0", pid: 123)?.hasExited == true)
        #expect(ProcStat.parse("garbage", pid: 1) == nil)
    }

    @Test("missing directories of what exec writes are made, 0755")
    func makeDirectories() throws {
        let base = "/tmp/providerd-exec-mkdir-\(getpid())"
        defer { _ = try? FileManager.default.removeItem(atPath: base) }
        try ProviderdExec.makeDirectories(base + "/run/providerd")
        try ProviderdExec.makeDirectories(base + "/run/providerd")  // again: nothing to do
        var info = stat()
        #expect(stat(base + "/run/providerd", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o755)
        #expect(throws: SystemError.self) { try ProviderdExec.makeDirectories("/proc/1/nope") }
    }
}
