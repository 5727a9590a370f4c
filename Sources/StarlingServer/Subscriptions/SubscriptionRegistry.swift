import NIOCore
import StarlingProtocol
import StarlingQuery
import StarlingStore
import StarlingTypes

/// One distinct subscription query of a database, shared by every client subscribed to it: it is
/// evaluated once per transaction whatever the number of subscribers.
final class SharedQuery {
    let id: Int
    let query: LiveQuery
    /// The subscribed clients, each with how many of its queries this is.
    var subscribers: [ConnectionId: (session: ClientSession, count: Int)] = [:] {
        didSet { audienceCache = nil }
    }
    private var audienceCache: Audience?

    /// The subscribers arranged for a broadcast; kept until they change.
    var audience: Audience {
        if let audienceCache { return audienceCache }
        let built = Audience(subscribers.values)
        audienceCache = built
        return built
    }

    init(id: Int, query: LiveQuery) {
        self.id = id
        self.query = query
    }
}

/// A shared query's subscribers arranged for a broadcast: the clients that take one frame
/// shared by all (same format and subscription count) grouped by event loop, and the
/// confirmed-read clients, whose updates may have to wait for durability one by one.
struct Audience {
    struct Group {
        let format: WireFormat
        let count: Int
        let loop: any EventLoop
        var outlets: [ClientOutlet]
    }

    private(set) var groups: [Group] = []
    private(set) var confirmed: [(session: ClientSession, count: Int)] = []

    init(_ subscribers: some Sequence<(session: ClientSession, count: Int)>) {
        for sub in subscribers {
            if sub.session.confirmed {
                confirmed.append(sub)
                continue
            }
            let outlet = sub.session.outlet
            if let i = groups.firstIndex(where: {
                $0.format == outlet.format && $0.count == sub.count && ObjectIdentifier($0.loop) == outlet.loopID
            }) {
                groups[i].outlets.append(outlet)
            } else {
                groups.append(Group(format: outlet.format, count: sub.count, loop: outlet.loop, outlets: [outlet]))
            }
        }
    }
}

/// The live queries of one database (worker thread only): deduplicated by their bound form,
/// indexed so that a transaction only evaluates the queries it can affect.
final class SubscriptionRegistry {
    private var byKey: [LiveQuery.Key: SharedQuery] = [:]
    private var byId: [Int: SharedQuery] = [:]
    private var index = LiveQueryIndex<Int>()
    private var nextId = 0
    /// Client subscriptions (one per query per client query set).
    private(set) var subscriptionCount = 0

    var isEmpty: Bool { byId.isEmpty }
    /// Distinct queries being maintained.
    var queryCount: Int { byId.count }

    /// Subscribes `session` to `query`, sharing an equal query if one is live.
    func attach(_ query: LiveQuery, to session: ClientSession) -> SharedQuery {
        let shared: SharedQuery
        if let existing = byKey[query.key] {
            shared = existing
        } else {
            nextId += 1
            shared = SharedQuery(id: nextId, query: query)
            byKey[query.key] = shared
            byId[shared.id] = shared
            index.insert(shared.id, query)
        }
        let current = shared.subscribers[session.connectionId]?.count ?? 0
        shared.subscribers[session.connectionId] = (session, current + 1)
        subscriptionCount += 1
        return shared
    }

    /// Undoes one ``attach(_:to:)``; the query stops being maintained with its last subscriber.
    func detach(_ shared: SharedQuery, from session: ClientSession) {
        guard let entry = shared.subscribers[session.connectionId] else { return }
        subscriptionCount -= 1
        shared.subscribers[session.connectionId] = entry.count > 1 ? (entry.session, entry.count - 1) : nil
        guard shared.subscribers.isEmpty else { return }
        byKey[shared.query.key] = nil
        byId[shared.id] = nil
        index.remove(shared.id, shared.query)
    }

    /// What the transaction `changes` did to each query it can have affected (non-empty updates
    /// only), read against the store right after it.
    func updates(for changes: TxChanges, in reader: some StoreReading, log: (String) -> Void) -> [(SharedQuery, LiveUpdate)] {
        var out: [(SharedQuery, LiveUpdate)] = []
        let candidates: Set<Int>
        do { candidates = try index.candidates(changes) } catch {
            log("subscriptions not updated: \(error.message)")
            return []
        }
        for id in candidates.sorted() {
            guard let shared = byId[id] else { continue }
            do {
                let update = try shared.query.update(for: changes, in: reader)
                if !update.isEmpty { out.append((shared, update)) }
            } catch {
                log("subscription `\(shared.query.text)` not updated: \(error.message)")
            }
        }
        return out
    }

    /// Forgets every query (the database is going away or its module was replaced).
    func removeAll() {
        for shared in byId.values { shared.subscribers.removeAll() }
        byKey.removeAll()
        byId.removeAll()
        index = LiveQueryIndex()
        subscriptionCount = 0
    }
}
