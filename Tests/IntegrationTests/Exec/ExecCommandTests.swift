import Foundation
import TestSupport
import Testing

/// `providerd exec`'s command line: every bad option is exit 2 with a message that
/// names it, said before any key, database or file is looked at; nothing starts.
@Suite("providerd exec: the command line")
struct ExecCommandTests {
    @Test(
        "bad options are refused with what is wrong, before anything starts",
        arguments: [
            (["--on-change", "reload", "--", "/bin/true"], "--on-change: 'reload' must be restart, signal:NAME"),
            (["--on-change", "signal:SIGNOPE", "--", "/bin/true"], "--on-change: 'SIGNOPE' is not a signal"),
            (["--stop-signal", "TERMINATE", "--", "/bin/true"], "--stop-signal: 'TERMINATE' is not a signal"),
            (["--debounce=-1", "--", "/bin/true"], "--debounce must be a number of seconds from 0 to 86400"),
            (["--kill-timeout", "nan", "--", "/bin/true"], "--kill-timeout must be a number of seconds"),
            (["--min-restart-interval", "1e9", "--", "/bin/true"], "--min-restart-interval must be a number of seconds"),
            (["--from-env-file", "/x", "--env-file", "/y", "--", "/bin/true"], "with --from-env-file the sidecar writes them"),
            ([], "name the program to run after --"),
            (["--", "/bin/true", "\u{1}\u{7f}"], ""),
        ])
    func refused(arguments: [String], message: String) throws {
        let output = try ProviderdCLI().run(["exec"] + arguments)
        if message.isEmpty {
            // Hostile bytes in the child's arguments are the child's business: passed on, no key needed to refuse.
            #expect(output.status == 2)
            #expect(output.stderrText.contains("no encryption key configured"))
            return
        }
        #expect(output.status == 2, "\(output.stderrText)")
        #expect(output.stderrText.contains(message), "\(output.stderrText)")
        #expect(!output.stderrText.contains("encryption key"), "the option is said first")
    }

    @Test("a --from-env-file that cannot be read as providerd writes it never starts the child")
    func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("providers.env")
        try Data([0x41, 0x3D, 0xC3, 0x28, 0x0A]).write(to: URL(fileURLWithPath: file))  // invalid UTF-8
        let exec = try DaemonProcess(
            arguments: ["--from-env-file", file, "--", "/bin/sh", "-c", "touch \"$0\"", directory.file("started")],
            environment: ["PATH": "/usr/bin:/bin"], logPath: directory.file("log"), command: ["exec"])
        #expect(DaemonProcess.eventually { exec.log.contains("is not UTF-8 text") })
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!FileManager.default.fileExists(atPath: directory.file("started")))
        #expect(exec.stop() == 143, "stopped before any child: 128 + SIGTERM")
    }
}
