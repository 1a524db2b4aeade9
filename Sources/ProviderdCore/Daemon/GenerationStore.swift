/// The generation counter both files carry. It rises only when the rendered
/// content (without the generation) changes, so a restart with unchanged content
/// writes nothing. Kept as `N DIGEST` in `generation` in the state directory.
///
/// The counter is written after the files that carry it (off the path an agent
/// waits on), so a kill or a power cut in between leaves the outputs one ahead:
/// the publisher then raises the counter to what they carry
/// (`raise(toAtLeast:)`) before numbering anything, and a number never names two
/// different contents.
package struct GenerationStore: Sendable {
    package let path: String
    private let writer: AtomicFileWriter
    package private(set) var generation: Int
    package private(set) var digest: String

    package init(directory: StateDirectory) throws {
        path = directory.file("generation")
        writer = directory.fileWriter
        generation = 0
        digest = ""
        if let bytes = try AtomicFileWriter.read(path), let text = String(validating: bytes, as: UTF8.self) {
            let parts = text.trimmingWhitespace().split(separator: " ")
            if parts.count == 2, let number = Int(parts[0]), number >= 0 {
                generation = number
                digest = String(parts[1])
            }
        }
    }

    /// The number for content with this digest: the current one when the content
    /// is unchanged, else the next. Nothing is written.
    package func next(for newDigest: String) -> Int {
        newDigest == digest && generation > 0 ? generation : generation + 1
    }

    /// Records `number` for `newDigest` (durably: file fsync, rename, directory
    /// fsync), once the files that carry it are in place. No write when unchanged.
    package mutating func persist(_ number: Int, digest newDigest: String) throws {
        guard number != generation || newDigest != digest else { return }
        try writer.write(Array("\(number) \(newDigest)\n".utf8), to: path)
        generation = number
        digest = newDigest
    }

    /// The outputs carry `number` (written before the counter was): count from
    /// there, with no content known for it, so that the next render takes a
    /// number of its own.
    package mutating func raise(toAtLeast number: Int) {
        guard number > generation else { return }
        generation = number
        digest = ""
    }

    /// `next(for:)` and `persist`, for callers with nothing to write in between.
    package mutating func generation(for newDigest: String) throws -> Int {
        let number = next(for: newDigest)
        try persist(number, digest: newDigest)
        return number
    }
}
