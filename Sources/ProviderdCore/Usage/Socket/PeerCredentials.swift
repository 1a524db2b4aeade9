/// `struct ucred` (SO_PEERCRED), declared here because glibc hides it without
/// _GNU_SOURCE.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
