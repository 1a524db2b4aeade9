import Foundation

/// Build-time tool run by `EmbedResourcesPlugin`: writes one Swift file holding the
/// given text files as string literals, keyed by their path relative to the package.
///
/// Usage: EmbedResources OUTPUT PACKAGE_DIR FILE...
@main
struct EmbedResources {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: EmbedResources OUTPUT PACKAGE_DIR FILE...\n".utf8))
            exit(2)
        }
        let output = arguments[arguments.startIndex]
        let packageDir = arguments[arguments.startIndex + 1]
        let files = arguments.dropFirst(2).sorted()

        var source = "// Generated at build time by EmbedResources from the package's top-level files.\n"
        source += "// Edit migrations/ or etc/, never this file.\n\n"
        source += "enum EmbeddedResources {\n"
        source += "    /// Relative path (e.g. `migrations/001_simplified_schema.sql`) to file contents.\n"
        source += "    static let files: [String: String] = [\n"
        for path in files {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var relative = path
            if relative.hasPrefix(packageDir + "/") {
                relative.removeFirst(packageDir.count + 1)
            }
            let hashes = String(repeating: "#", count: longestHashRun(in: text) + 1)
            source += "        \(quoted(relative)): \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
        }
        if files.isEmpty { source += "        :\n" }
        source += "    ]\n}\n"
        try source.write(toFile: output, atomically: true, encoding: .utf8)
    }

    static func longestHashRun(in text: String) -> Int {
        var longest = 0, current = 0
        for scalar in text.unicodeScalars {
            if scalar == "#" {
                current += 1
                longest = max(longest, current)
            } else {
                current = 0
            }
        }
        return longest
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
