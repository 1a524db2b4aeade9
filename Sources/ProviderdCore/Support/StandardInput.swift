#if canImport(Glibc)
    import Glibc
#endif

/// Reading secrets: from a pipe or file on stdin, or from a terminal without echo.
/// Secrets never come from argv.
package enum StandardInput {
    package static var isTerminal: Bool { isatty(0) == 1 }

    /// All of stdin, as bytes (up to `limit`).
    package static func readAll(limit: Int = 16 << 20) throws(InputError) -> [UInt8] {
        do {
            return try DescriptorIO.readAll(0, limit: limit, path: "stdin", secret: true)
        } catch {
            if error.code == EFBIG { throw InputError("stdin", "longer than \(limit) bytes") }
            throw InputError("stdin", "cannot be read: \(String(cString: strerror(error.code)))")
        }
    }

    /// Prompts on stderr and reads one line from the terminal with echo turned off.
    package static func readHidden(prompt: String) throws(InputError) -> [UInt8] {
        _ = prompt.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { throw InputError("terminal", "cannot read terminal settings") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(0, TCSAFLUSH, &quiet) == 0 else { throw InputError("terminal", "cannot turn off echo") }
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            _ = write(2, "\n", 1)
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(0, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            guard line.count <= 65_536 else { throw InputError("secret", "longer than 64 KiB") }
        }
        return line
    }

    /// Writes bytes to stdout exactly (no newline added).
    package static func writeStdout(_ bytes: [UInt8]) {
        try? DescriptorIO.writeAll(1, bytes, path: "stdout")
    }
}
