import NIOCore
import NIOPosix
import ProviderdCore

/// The dashboard's PostgreSQL connections: `dashboard.db_connections` workers,
/// each an actor on a thread of its own holding one libpq connection (libpq
/// blocks, so a query never runs on an event loop or the cooperative pool). A
/// request waits for a free worker; a broken connection is dropped and the next
/// request reconnects.
package actor DashboardDatabase {
    private let workers: [DatabaseWorker]
    private var idle: [Int]
    private var waiters: [CheckedContinuation<Int, Never>] = []
    private let group: MultiThreadedEventLoopGroup

    package init(options: ConnectionOptions, connections: Int) {
        let count = max(1, connections)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: count)
        self.group = group
        workers = (0..<count).map { _ in DatabaseWorker(options: options, loop: group.next()) }
        idle = Array(0..<count)
    }

    /// Runs `body` with a connection, on a worker's thread.
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let index = await checkOut()
        defer { checkIn(index) }
        return try await workers[index].run(body)
    }

    private func checkOut() async -> Int {
        if let index = idle.popLast() { return index }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func checkIn(_ index: Int) {
        if waiters.isEmpty {
            idle.append(index)
        } else {
            waiters.removeFirst().resume(returning: index)
        }
    }

    /// Closes every connection and stops the threads (at shutdown).
    package func close() async {
        for worker in workers { await worker.close() }
        try? await group.shutdownGracefully()
    }
}

/// One connection on one thread. Only `DashboardDatabase` calls it, one call at a time.
actor DatabaseWorker {
    private let options: ConnectionOptions
    private let loop: any EventLoop
    private var connection: PostgresConnection?

    init(options: ConnectionOptions, loop: any EventLoop) {
        self.options = options
        self.loop = loop
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    func run<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) throws -> T {
        if let current = connection, !current.isHealthy { connection = nil }
        let connection = try self.connection ?? PostgresConnection(options)
        self.connection = connection
        do {
            return try body(connection)
        } catch let error as PostgresError where error.kind == .connection {
            self.connection = nil
            throw error
        }
    }

    func close() {
        connection = nil
    }
}
