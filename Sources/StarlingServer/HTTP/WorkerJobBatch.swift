import NIOCore
import StarlingRuntime
import Synchronization

/// Gathers the database jobs that one event loop produces while it handles one round of ready
/// sockets, and submits them to each database's worker as one job when the round is over (NIO
/// runs tasks queued from the loop itself right after its I/O): with many HTTP clients, one
/// worker wake-up serves every request that arrived together instead of one each.
///
/// Each instance belongs to one event loop and is used on it only.
final class WorkerJobBatch: @unchecked Sendable {
    private let loop: any EventLoop
    private var pending: [(DatabaseHost, @Sendable (ModuleDatabase) -> Void)] = []

    private init(loop: any EventLoop) { self.loop = loop }

    private static let all = Mutex<[ObjectIdentifier: WorkerJobBatch]>([:])

    /// The batch of `loop` (call on that loop).
    static func on(_ loop: any EventLoop) -> WorkerJobBatch {
        all.withLock { batches in
            if let b = batches[ObjectIdentifier(loop)] { return b }
            let b = WorkerJobBatch(loop: loop)
            batches[ObjectIdentifier(loop)] = b
            return b
        }
    }

    /// Queues `job` for `host`'s worker; jobs keep their order per database.
    func submit(_ job: @escaping @Sendable (ModuleDatabase) -> Void, to host: DatabaseHost) {
        loop.assertInEventLoop()
        if pending.isEmpty { loop.execute { self.flush() } }
        pending.append((host, job))
    }

    private func flush() {
        let jobs = pending
        pending.removeAll(keepingCapacity: true)
        var hosts: [DatabaseHost] = []
        var byHost: [ObjectIdentifier: [@Sendable (ModuleDatabase) -> Void]] = [:]
        for (host, job) in jobs {
            let key = ObjectIdentifier(host)
            if byHost[key] == nil { hosts.append(host) }
            byHost[key, default: []].append(job)
        }
        for host in hosts {
            guard let list = byHost[ObjectIdentifier(host)] else { continue }
            if list.count == 1 {
                host.submit(list[0])
            } else {
                host.submit { db in for job in list { job(db) } }
            }
        }
    }
}
