/// Reads `--from-env-file`: the env file a `providerd run` keeps, by the rules it
/// is written with (`EnvValueQuoting`), so the child gets the values bash, dash and
/// python-dotenv would read from the same file. A file that does not follow them
/// is refused whole, with the line and the variable named, never a value: the
/// child keeps the environment it has.
package enum EnvFileReader {
    /// Larger than any env file providerd writes (a thousand providers are ~150 KB).
    package static let maxBytes = 16 << 20

    package static func parse(_ bytes: [UInt8], file: String) throws(ExecError) -> ChildEnvironment {
        guard bytes.count <= maxBytes else {
            throw ExecError(.envFileUnreadable, "\(file) is \(bytes.count) bytes, more than the \(maxBytes) an env file may be")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ExecError(.envFileUnreadable, "\(file) is not UTF-8 text")
        }
        var variables: [String: String] = [:]
        var generation: Int?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ExecError(.envFileUnreadable, "\(file) line \(number): not NAME=value")
            }
            let name = String(line[..<equals])
            guard isVariableName(name) else {
                throw ExecError(.envFileUnreadable, "\(file) line \(number): '\(String(name.prefix(64)).filter { !$0.isNewline })' is not a variable name")
            }
            guard let value = EnvValueQuoting.read(String(line[line.index(after: equals)...])) else {
                throw ExecError(
                    .envFileUnreadable,
                    "\(file) line \(number): the value of \(name) is not written as providerd writes values (bare, 'single' or \"double\" quoted, one line)")
            }
            if name == ChildEnvironment.generationName {
                guard let parsed = Int(value), parsed >= 0 else {
                    throw ExecError(.envFileUnreadable, "\(file) line \(number): \(name) is not a number")
                }
                generation = parsed
                continue
            }
            guard variables.updateValue(value, forKey: name) == nil else {
                throw ExecError(.envFileUnreadable, "\(file) line \(number): \(name) is set twice")
            }
        }
        return try ChildEnvironment(variables: variables, generation: generation)
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, what every reader takes as a name.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }
}
