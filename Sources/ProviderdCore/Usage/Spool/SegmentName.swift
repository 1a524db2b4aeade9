#if canImport(Glibc)
    import Glibc
#endif

/// The name of a spool segment: `<instance>-<sequence>-<nonce>.ndjson`, with the
/// sequence and a random nonce as 16 hex digits each.
///
/// The name is the segment's identity in `providerd_flush_log`, which is keyed by
/// (instance, name): a name that came back would be taken for a segment already
/// counted and removed uncounted. The sequence alone cannot promise that, because
/// it comes from the files left in `spool/`: a directory restored from a backup,
/// cloned onto a second host, or emptied by a failed seal starts counting again
/// from what it holds. The nonce (64 random bits from OpenSSL per segment) can:
/// two segments share a name only if they share the sequence and all 64 bits.
/// The sequence stays for order and for reading the directory by eye.
///
/// Names from before the nonce (`<instance>-<sequence>.ndjson`) still parse, so a
/// spool left by an older version flushes under its own names.
package struct SegmentName: Hashable, Sendable, CustomStringConvertible {
    /// The instance id the segment was written under: its flush-log rows carry
    /// this one, even after the state directory took another identity.
    package let instance: String
    package let sequence: UInt64
    /// nil in a name written before the nonce.
    package let nonce: UInt64?

    package init(instance: String, sequence: UInt64, nonce: UInt64?) {
        self.instance = instance
        self.sequence = sequence
        self.nonce = nonce
    }

    /// A new name: `sequence` and a fresh random nonce.
    package static func fresh(instance: String, sequence: UInt64) throws(SystemError) -> SegmentName {
        guard let bytes = try? OpenSSL.randomBytes(8) else {
            throw SystemError("draw a random segment nonce (OpenSSL RAND_bytes)", path: instance, code: EIO)
        }
        let nonce = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return SegmentName(instance: instance, sequence: sequence, nonce: nonce)
    }

    /// nil for a file that is not a segment (no `.ndjson`, no sequence).
    package init?(parsing name: String) {
        guard name.hasSuffix(".ndjson") else { return nil }
        let stem = name.dropLast(".ndjson".count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, let last = Self.hex16(parts[parts.count - 1]) else { return nil }
        if parts.count >= 3, let sequence = Self.hex16(parts[parts.count - 2]) {
            let instance = parts.dropLast(2).joined(separator: "-")
            guard !instance.isEmpty else { return nil }
            self.init(instance: instance, sequence: sequence, nonce: last)
        } else {
            let instance = parts.dropLast().joined(separator: "-")
            guard !instance.isEmpty else { return nil }
            self.init(instance: instance, sequence: last, nonce: nil)
        }
    }

    package var description: String {
        let base = "\(instance)-\(Self.hex(sequence))"
        guard let nonce else { return base + ".ndjson" }
        return base + "-\(Self.hex(nonce)).ndjson"
    }

    /// The sequence after this one; past the largest it stays there (the nonce
    /// keeps the names apart, and a damaged file's `ffffffffffffffff` must not
    /// trap at every start).
    package static func next(after sequence: UInt64) -> UInt64 {
        sequence == .max ? .max : sequence + 1
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func hex16(_ text: Substring) -> UInt64? {
        guard text.utf8.count == 16, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        return UInt64(text, radix: 16)
    }
}
