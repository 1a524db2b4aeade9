/// The generation counter both files carry. It rises only when the rendered
/// content (without the generation) changes, so a restart with unchanged content
/// writes nothing. Kept as `N DIGEST` in `generation` in the state directory.
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

    /// The generation for content with this digest, raising and persisting the
    /// counter when the content changed.
    package mutating func generation(for newDigest: String) throws -> Int {
        if newDigest == digest, generation > 0 { return generation }
        let next = generation + 1
        try writer.write(Array("\(next) \(newDigest)\n".utf8), to: path)
        generation = next
        digest = newDigest
        return next
    }
}
