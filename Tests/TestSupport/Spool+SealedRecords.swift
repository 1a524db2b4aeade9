import ProviderdCore

extension Spool {
    /// Seals the active segment and decodes every sealed one: what a flush would
    /// read, for tests that check what reached the disk.
    package func sealedRecords() async throws -> [UsageRecord] {
        var records: [UsageRecord] = []
        for name in try seal() {
            records += try read(name).split(separator: UInt8(ascii: "\n")).compactMap { SpoolLine.decode($0)?.record }
        }
        return records
    }
}
