import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Budgets, and with a socket the usage path behind it, put together once for
/// `providerd run` and `providerd exec`.
///
/// - Budgets: the board the socket answers from and renders read, kept by the
///   intake (acks not flushed yet), the flusher (each segment's ledger values) and
///   the refresher (every host's spend), which has a thread and a connection of its
///   own; the announcer runs `budgets.on_event`.
/// - Usage (`withSocket`): one event loop for the socket, and two threads that each
///   run one actor and nothing else: the `Spool` (blocking file calls) and the
///   `UsageFlusher` (libpq). The spool, the id table, ids.log and the stats board
///   are opened once: the intake fills them, the flusher empties them.
struct UsageStack {
    let board: BudgetBoard
    let refresher: BudgetRefresher
    let announcer: BudgetAnnouncer
    let metrics: ProviderdMetrics
    /// With the socket only.
    let flusher: UsageFlusher?
    let usageService: UsageService?
    private let loops: [MultiThreadedEventLoopGroup]

    /// `prices`: the operator's price file, or nil for the built-in table (loaded
    /// now when `budgets.unpriced` is block, since it decides from the first request).
    init(
        settings: ProviderdSettings, state: StateDirectory, prices: PriceTable?, reporter: StatusReporter, withSocket: Bool,
        inherited: InheritedDescriptors, logger: Logger
    ) async throws {
        let prices = try prices ?? (settings.budgetsBlockUnpriced ? PriceTable.builtIn() : nil)
        let board = BudgetBoard(settings: settings, prices: prices)
        let budgetLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var loops = [budgetLoop]
        let stats: UsageStatsBoard
        let instance: String
        if withSocket {
            let spoolLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let flushLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            loops += [spoolLoop, flushLoop, eventLoops]
            let (storage, ids) = try UsageStorage.open(settings: settings, state: state, loop: spoolLoop.next(), logger: logger)
            stats = storage.stats
            instance = storage.instance
            // Metrics: counted by the flusher and the announcer, gauges read from the
            // stats board, STATUS and the budget board.
            let metrics = ProviderdMetrics(stats: stats, reporter: reporter, budgets: board)
            let intake = UsageIntake(storage: storage, ids: ids, maxBytes: settings.spoolMaxBytes, budgets: board, metrics: metrics)
            let flusher = UsageFlusher(
                storage: storage, loop: flushLoop.next(), settings: settings, prices: prices, budgets: board, metrics: metrics, logger: logger)
            await flusher.reportStatus(to: reporter)
            self.metrics = metrics
            self.flusher = flusher
            self.usageService = UsageService(
                settings: settings, intake: intake, flusher: flusher, group: eventLoops, inherited: inherited, logger: logger)
        } else {
            stats = UsageStatsBoard()
            instance = try state.instanceID().value
            self.metrics = ProviderdMetrics(stats: stats, reporter: reporter, budgets: board)
            self.flusher = nil
            self.usageService = nil
        }
        let announcer = BudgetAnnouncer(hook: settings.budgetsOnEvent, metrics: metrics, reporter: reporter, logger: logger)
        self.board = board
        self.announcer = announcer
        self.refresher = BudgetRefresher(
            board: board, announcer: announcer, instance: instance, loop: budgetLoop.next(),
            settings: settings, reporter: reporter, logger: logger)
        self.loops = loops
    }

    /// The usage service (when there is a socket), then the refresher.
    var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        (usageService.map { [.init(service: $0)] } ?? []) + [.init(service: refresher)]
    }

    /// After the service group has ended.
    func shutdown() async throws {
        for loop in loops { try await loop.shutdownGracefully() }
    }
}
