/// What `migrate` did to one migration.
package struct MigrationOutcome: Sendable, Equatable {
    package enum Action: String, Sendable {
        case applied
        /// 001 was found already applied by hand (`psql -f`, the seed's route) and recorded.
        case adopted
        case alreadyApplied = "already applied"
    }
    package let migration: String
    package let action: Action
}
