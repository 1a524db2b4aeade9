import Foundation

/// One HTTP exchange made with curl(1), a real client, so that a test can send
/// exactly the bytes it means (a forged `Host`, a cookie, a huge body) and see
/// exactly what came back.
package struct HTTPReply: Sendable {
    package var status: Int
    /// Header names lower-cased, in order.
    package var headers: [(name: String, value: String)]
    package var body: String

    package func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }

    package var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// The one error shape's `error` code.
    package var errorCode: String? { json?["error"] as? String }
}

package enum HTTPCall {
    /// `url` is absolute (`http://127.0.0.1:PORT/...`); `bodyFile` sends a file's bytes.
    package static func run(
        _ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil, bodyFile: String? = nil,
        unixSocket: String? = nil, timeout: Int = 30
    ) throws -> HTTPReply {
        let directory = try TemporaryDirectory()
        var arguments = ["-sS", "-i", "--path-as-is", "--max-time", String(timeout), "-X", method, "-H", "Expect:"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            let path = directory.path + "/body"
            try Data(body.utf8).write(to: URL(fileURLWithPath: path))
            arguments += ["--data-binary", "@" + path]
            if headers.keys.contains(where: { $0.lowercased() == "content-type" }) == false {
                arguments += ["-H", "Content-Type: application/json"]
            }
        } else if let bodyFile {
            arguments += ["--data-binary", "@" + bodyFile, "-H", "Content-Type: application/json"]
        }
        if let unixSocket { arguments += ["--unix-socket", unixSocket] }
        arguments.append(url)
        let output = try ProcessRunner.run("/usr/bin/curl", arguments)
        guard output.status == 0 else { throw TestSupportError("curl \(method) \(url) exited \(output.status): \(output.stderrText)") }
        return try parse(output.stdoutText)
    }

    static func parse(_ text: String) throws -> HTTPReply {
        var rest = Substring(text)
        while true {
            guard let end = rest.range(of: "\r\n\r\n") else { throw TestSupportError("no HTTP head in curl's output") }
            let head = rest[..<end.lowerBound]
            rest = rest[end.upperBound...]
            let lines = head.components(separatedBy: "\r\n")
            let status = Int(lines[0].split(separator: " ")[1]) ?? 0
            if status == 100 { continue }
            let headers = lines.dropFirst().compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return HTTPReply(status: status, headers: headers, body: String(rest))
        }
    }
}
