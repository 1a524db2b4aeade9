import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The usage half of `providerd run`: the socket (serving from the start, whether
/// PostgreSQL is reachable or not) and the flusher. On graceful shutdown it stops
/// accepting, then makes one bounded flush attempt; what it cannot write stays
/// spooled for the next start.
public struct UsageService: Service, CustomStringConvertible {
    /// What swift-service-lifecycle logs for this service: its name, never its settings.
    public var description: String { "UsageService" }

    let settings: ProviderdSettings
    let intake: UsageIntake
    let flusher: UsageFlusher
    let group: any EventLoopGroup
    let logger: Logger

    public init(settings: ProviderdSettings, intake: UsageIntake, flusher: UsageFlusher, group: any EventLoopGroup, logger: Logger) {
        self.settings = settings
        self.intake = intake
        self.flusher = flusher
        self.group = group
        self.logger = logger
    }

    /// Opens the spool and the id window from the state directory.
    public static func makeIntake(settings: ProviderdSettings, state: StateDirectory, pool: NIOThreadPool, logger: Logger)
        throws -> (intake: UsageIntake, instance: String, idLog: IdLog)
    {
        let id = try state.instanceID()
        if let why = id.recovered {
            logger.warning("instance-id was \(why); recovered from the spool's segment names", metadata: ["instance": "\(id.value)"])
        }
        let instance = id.value
        let files = try SpoolFiles(directory: state.file("spool"), instance: instance)
        let idLog = IdLog(directory: state)
        let now = Int64(ConfigRenderService.now())
        let window = Int64(settings.idWindow)
        let logged = try idLog.load(now: now, window: window)
        if logged.damagedLines > 0 {
            logger.warning("ids.log had damaged lines; they were dropped (a resend of those ids may count again)",
                           metadata: ["lines": "\(logged.damagedLines)", "file": "\(idLog.path)"])
        }
        let intake = try UsageIntake(files: files, pool: pool, maxBytes: settings.spoolMaxBytes, idWindow: window, now: now,
                                     idLog: logged.live)
        return (intake, instance, idLog)
    }

    public func run() async throws {
        let server = try await UsageServer.start(options: UsageServer.Options(settings: settings), intake: intake, group: group)
        logger.info("usage socket listening", metadata: [
            "socket": "\(server.activated ? "from systemd" : settings.socket)",
        ])
        await flusher.run()
        await server.close()
        await flusher.finalFlush()
        let left = await intake.spooledBytes
        logger.info("usage intake stopped", metadata: ["spooled_bytes": "\(left)"])
    }
}
