import Logging

/// What `ConfigRenderService` tells STATUS and the log about its work: each
/// publish's outcome (and the child of `providerd exec`, through `onPublished`),
/// keys a budget withholds, and whether LISTEN delivers.
extension ConfigRenderService {
    /// Puts a publish's outcome into STATUS; true when the files hold it.
    func record(_ outcome: ConfigPublisher.Outcome) -> Bool {
        switch outcome {
        case .published(let result, let generation):
            reporter.update {
                $0.generation = generation
                $0.providers = result.providersWithKeys.count
                $0.services = result.services.count
                $0.degradedProviders = Array(Set(result.problems.map(\.provider))).sorted()
                $0.vanishedProviders = result.vanishedProviders > 0 ? result.vanishedProviders : nil
                $0.withheldProviders = result.withheldProviders
                $0.filesError = nil
            }
            reportWithheld(result.withheldProviders)
            onPublished?(result, generation)
            return true
        case .failed(let result, let reason, let delivered):
            reporter.update { $0.filesError = reason }
            if let delivered { onPublished?(result, delivered) }
            return false
        }
    }

    /// One line when a budget takes a provider's key out of the env file, one when it is back.
    func reportWithheld(_ withheld: [String: String]) {
        let (taken, back) = withheldLog.changes(to: withheld)
        for (provider, budget) in taken {
            logger.warning(
                "provider key withheld from the env file: its budget is exceeded until the period turns",
                metadata: ["provider": "\(provider)", "budget": "\(budget)"])
        }
        for provider in back { logger.notice("provider key back in the env file", metadata: ["provider": "\(provider)"]) }
    }

    /// One warning when LISTEN turns out to deliver nothing (a transaction pooler),
    /// one info line when it works again; STATUS says so meanwhile
    /// (`ListenDeliveryTracker` has the rules).
    func noteListen(_ delivery: DatabaseSession.ListenDelivery) {
        let note = listenDelivery.record(delivery, target: settings.listenConnectionOptions.conninfo ?? "")
        let pollingOnly = listenDelivery.pollingOnly
        reporter.update { $0.pollingOnly = pollingOnly }
        switch note {
        case .none:
            break
        case .unprobed(let reason, let assumedDelivering):
            logger.notice(
                assumedDelivering
                    ? "cannot check that LISTEN receives notifications; assuming it does"
                    : "cannot check that LISTEN receives notifications; the last check found none, so polling only still",
                metadata: ["reason": "\(reason)"])
        case .silent:
            logger.warning(
                "LISTEN receives no notifications on this connection (a transaction pooler?): changes are seen at the next poll only; set database.listen_url to a direct (session) connection",
                metadata: [
                    "database.listen_url": "\(settings.listenURL == nil ? "unset" : PostgresConnection.redacted(settings.listenURL))",
                    "poll_interval": "\(settings.pollInterval)",
                ])
        case .deliveringAgain:
            logger.info("LISTEN receives notifications again")
        }
    }
}
