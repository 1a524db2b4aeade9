#if canImport(Glibc)
    import Glibc
#endif

/// Who may report usage: everyone who can open the socket, or only the listed
/// uids and gids (`usage.allow_uids`, `usage.allow_gids`).
package struct PeerPolicy: Sendable {
    package var uids: Set<uid_t>
    package var gids: Set<gid_t>

    package init(uids: [uid_t] = [], gids: [gid_t] = []) {
        self.uids = Set(uids)
        self.gids = Set(gids)
    }

    package func allows(uid: uid_t, gid: gid_t) -> Bool {
        (uids.isEmpty && gids.isEmpty) || uids.contains(uid) || gids.contains(gid)
    }
}
