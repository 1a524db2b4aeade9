#if canImport(Glibc)
    import Glibc
#endif

/// What tells one host from another to the state directory: systemd's machine id
/// (`/etc/machine-id`, unique per installation; an image prepared for cloning
/// leaves it empty and each clone makes its own) and the host name. Either one
/// changing means the directory now serves another sidecar, which needs an
/// instance id of its own (`StateDirectory.instanceID`).
package struct HostIdentity: Sendable, Equatable {
    package let machineID: String
    package let hostname: String

    package init(machineID: String, hostname: String) {
        self.machineID = machineID
        self.hostname = hostname
    }

    /// This host's. A missing or unreadable machine id reads as `-` (containers
    /// often have none); the host name alone then tells clones apart.
    package static var current: HostIdentity {
        let machine = (try? AtomicFileWriter.read("/etc/machine-id", limit: 128)).flatMap { $0 }
            .map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() }
        var name = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return HostIdentity(
            machineID: machine.map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "-",
            hostname: host.isEmpty ? "-" : host)
    }

    /// How `instance-host` holds it: one line, `machine-id=… hostname=…`.
    package var line: String { "machine-id=\(machineID) hostname=\(hostname)\n" }
}
