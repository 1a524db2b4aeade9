import ProviderdCore

/// What a dashboard login may do. A viewer reads; an admin also writes, and
/// only while `dashboard.allow_writes` is on. Each role has a token file of its own,
/// so a role is never read from a request.
package enum DashboardRole: String, Sendable, Equatable, CaseIterable {
    case viewer
    case admin
}
