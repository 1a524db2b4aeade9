import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log handler for stderr. Under systemd (`JOURNAL_STREAM` set) each line
/// starts with an sd-daemon priority prefix (`<3>` error ... `<7>` debug) so the
/// journal records the level; otherwise lines carry a timestamp and the level.
package struct JournalLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    let label: String
    let journal: Bool

    package init(label: String, journal: Bool) {
        self.label = label
        self.journal = journal
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let message = fields.isEmpty ? "\(event.message)" : "\(event.message) \(fields)"
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(message)\n"
        } else {
            let stamp = UTCTimestamp.iso8601(UTCTimestamp.now())
            line = "\(stamp) \(event.level) \(label): \(message)\n"
        }
        // A log line that cannot be written (stderr closed, a full pipe) is dropped.
        try? DescriptorIO.writeAll(STDERR_FILENO, Array(line.utf8), path: "standard error")
    }
}
