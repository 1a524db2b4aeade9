#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The generation the files in place carry, read once at start: the counter in
/// the state directory is written after them (`GenerationStore`), so after a kill
/// or a power cut in between they may be one ahead of it.
package enum OutputGeneration {
    /// The highest generation the env file and the model map carry; 0 when neither
    /// exists or carries one. Only regular files are read (a FIFO put at an output
    /// path must not block the start).
    package static func highest(envFile: String?, modelMap: String?) -> Int {
        max(envFile.flatMap(read).flatMap(inEnvFile) ?? 0, modelMap.flatMap(read).flatMap(inModelMap) ?? 0)
    }

    /// The `PROVIDERD_GENERATION=N` line.
    package static func inEnvFile(_ bytes: [UInt8]) -> Int? {
        let prefix = Array("PROVIDERD_GENERATION=".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            return Int(String(decoding: line.dropFirst(prefix.count), as: UTF8.self))
        }
        return nil
    }

    /// The top-level `"generation"` member.
    package static func inModelMap(_ bytes: [UInt8]) -> Int? {
        struct Document: Decodable { var generation: Int? }
        return (try? JSONDecoder().decode(Document.self, from: Data(bytes)))?.generation ?? nil
    }

    private static func read(_ path: String) -> [UInt8]? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (try? AtomicFileWriter.read(path, limit: 16 << 20)) ?? nil
    }
}
