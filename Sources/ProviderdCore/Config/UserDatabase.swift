import Configuration
import Logging
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// User and group names or numbers, resolved through NSS (`getpwnam`, `getgrnam`).
package enum UserDatabase {
    package static func uid(_ text: String, key: String) throws -> uid_t {
        if let number = uid_t(text) { return number }
        guard let entry = getpwnam(text) else { throw ConfigurationError("\(key): no user named '\(text)'") }
        return entry.pointee.pw_uid
    }

    package static func gid(_ text: String, key: String) throws -> gid_t {
        if let number = gid_t(text) { return number }
        guard let entry = getgrnam(text) else { throw ConfigurationError("\(key): no group named '\(text)'") }
        return entry.pointee.gr_gid
    }
}
