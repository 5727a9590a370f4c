import NIOCore
import StarlingDurability
import StarlingModuleHost
import CoreMetrics
import StarlingProtocol
import StarlingQuery
import StarlingRuntime
import StarlingStore
import StarlingTypes

extension DatabaseHost {
    /// Queues one message for one client, in its format.
    func send(_ message: ServerMessage, to session: ClientSession) {
        switch session.format {
        case .bsatn: message.bsatn.withUnsafeBytes { deliver(payload: $0, format: .bsatn, to: session, offset: nil) }
        case .json: message.json(render).utf8.withUnsafeBytes { deliver(payload: $0, format: .json, to: session, offset: nil) }
        }
    }

    /// Queues a message (a whole frame, see ``ServerFrame``) for a client, or holds it while the client reads confirmed updates only
    /// and the transaction at `offset` (or a message before it) is not durable yet.
    func deliver(_ bytes: ByteBuffer, to session: ClientSession, offset: UInt64?) {
        if mustHold(session, offset) {
            hold(bytes, session, offset)
        } else {
            outbox.send(bytes, to: session.outlet)
        }
    }

    /// ``deliver(_:to:offset:)`` for a message only `session` gets, given as its payload: the frame
    /// is appended to the buffer the client's frames of this batch share.
    func deliver(payload: UnsafeRawBufferPointer, format: WireFormat, to session: ClientSession, offset: UInt64?) {
        if mustHold(session, offset) {
            hold(ServerFrame.make(payload, format: format), session, offset)
        } else {
            outbox.send(payload: payload, format: format, to: session.outlet)
        }
    }

    /// Whether a message for `session` about the transaction at `offset` has to wait for durability.
    private func mustHold(_ session: ClientSession, _ offset: UInt64?) -> Bool {
        guard session.confirmed, let log = commitlog, !repliesWaitForDurability else { return false }
        let pending = offset.map { o in log.durableOffset.map { $0 < o } ?? true } ?? false
        return pending || !session.held.isEmpty
    }

    private func hold(_ bytes: ByteBuffer, _ session: ClientSession, _ offset: UInt64?) {
        session.held.append((offset ?? session.held.last?.offset ?? 0, bytes))
        confirmedHeld[session.connectionId] = session
    }

    /// Sends what confirmed-read clients were waiting for, up to the durable offset.
    func releaseConfirmed() {
        let durable = commitlog?.durableOffset
        for (id, session) in confirmedHeld {
            var sent = 0
            for (offset, bytes) in session.held {
                guard let durable, offset <= durable || session.outlet.isClosing else { break }
                outbox.send(bytes, to: session.outlet)
                sent += 1
            }
            session.held.removeFirst(sent)
            if session.held.isEmpty || session.outlet.isClosing {
                session.held.removeAll()
                confirmedHeld[id] = nil
            }
        }
    }

    /// Tells every client what a transaction did to its queries (at most one message each, with
    /// each changed query's rows once per subscription to it), and always tells the caller its
    /// reducer's outcome. Must run right after the transaction: queries are updated from its
    /// delta against the store as it left it.
    func broadcast(
        _ result: CallResult, _ db: ModuleDatabase, caller: Identity, connection: ConnectionId, args: [UInt8],
        requestId: UInt32, callerSession: ClientSession?
    ) {
        guard let delta = result.delta, !subscriptions.isEmpty else {
            // No query can have changed: only the caller hears of the transaction.
            if let callerSession {
                reply(result, caller: caller, connection: connection, args: args, requestId: requestId, to: callerSession)
            }
            return
        }
        var message = Self.update(result, caller: caller, connection: connection, args: args, requestId: 0)
        let start = ContinuousClock.now
        let changes = TxChanges(delta)
        let updates = db.store.read { tx in
            subscriptions.updates(for: changes, in: tx, log: { db.log.host(.error, $0) })
        }
        if updates.count == 1 {
            broadcastOne(updates, message, callerSession: callerSession, requestId: requestId, offset: result.offset)
            metrics.fanOut.recordNanoseconds((ContinuousClock.now - start).wholeNanoseconds)
            return
        }
        // Per client: which updates it sees, and how many of its queries each one is.
        var audience: [ConnectionId: (session: ClientSession, seen: [(update: Int, count: Int)])] = [:]
        for (u, (shared, _)) in updates.enumerated() {
            for (id, sub) in shared.subscribers where !sub.session.outlet.isClosing {
                audience[id, default: (sub.session, [])].seen.append((u, sub.count))
            }
        }
        // The caller first: its reply is written and flushed before the subscribers' updates.
        var ordered: [(session: ClientSession, seen: [(update: Int, count: Int)])] = []
        if let callerSession {
            ordered.append(audience.removeValue(forKey: callerSession.connectionId) ?? (callerSession, []))
        }
        ordered += audience.values
        guard !ordered.isEmpty else { return }
        var fragments = UpdateFragments(updates: updates, render: render)
        // Clients other than the caller that see the same parts get the same bytes: built once,
        // and one buffer shared by all their writes.
        var built: [MessageKey: ByteBuffer] = [:]
        for (session, seen) in ordered {
            if session === callerSession {
                message.reducerCall.requestId = requestId
                deliverOwn(message, tables: fragments.tables(seen), &fragments, to: session, offset: result.offset)
                message.reducerCall.requestId = 0
                continue
            }
            let key = MessageKey(format: session.format, seen: seen)
            let bytes: ByteBuffer
            if let shared = built[key] {
                bytes = shared
            } else {
                bytes = encode(message, tables: fragments.tables(seen), &fragments, format: session.format)
                built[key] = bytes
            }
            deliver(bytes, to: session, offset: result.offset)
            handOverIfLarge()
        }
        if !updates.isEmpty { metrics.fanOut.recordNanoseconds((ContinuousClock.now - start).wholeNanoseconds) }
    }

    /// The caller's TransactionUpdate when no query changed (no table updates): BSATN is written
    /// from the result's parts, the hot path of every reducer call with no subscribers.
    private func reply(
        _ result: CallResult, caller: Identity, connection: ConnectionId, args: [UInt8], requestId: UInt32,
        to session: ClientSession
    ) {
        guard session.format == .bsatn else {
            var none = UpdateFragments(updates: [], render: render)
            let message = Self.update(result, caller: caller, connection: connection, args: args, requestId: requestId)
            deliverOwn(message, tables: [], &none, to: session, offset: result.offset)
            return
        }
        scratch.removeAll()
        ServerMessage.writeTransactionHeader(
            failure: result.outcome.message, timestamp: result.timestamp, caller: caller, connection: connection,
            reducerName: result.reducer, args: args, requestId: requestId, to: &scratch)
        scratch.writeLength(0)
        scratch.write(result.duration.wholeMicroseconds)
        scratch.withBytes { deliver(payload: $0, format: .bsatn, to: session, offset: result.offset) }
    }

    /// The TransactionUpdate of a call's result, without table updates.
    private static func update(
        _ result: CallResult, caller: Identity, connection: ConnectionId, args: [UInt8], requestId: UInt32
    ) -> TransactionUpdate {
        TransactionUpdate(
            status: result.outcome.message.map { .failed($0) } ?? .committed, timestamp: result.timestamp,
            callerIdentity: caller, callerConnectionId: connection,
            reducerCall: ReducerCallInfo(reducerName: result.reducer, args: args, requestId: requestId), tables: [],
            executionMicros: result.duration.wholeMicroseconds)
    }

    /// ``broadcast(_:_:caller:connection:args:requestId:callerSession:)`` when one shared query changed (the
    /// common case): its subscribers are the audience as they are, and every one but the caller gets one of
    /// a few shared frames (by format and subscription count), with no per-client bookkeeping. A large
    /// audience is handed to the event loops as groups (``Outbox/send(groups:except:)``).
    private func broadcastOne(
        _ updates: [(SharedQuery, LiveUpdate)], _ message: TransactionUpdate, callerSession: ClientSession?,
        requestId: UInt32, offset: UInt64?
    ) {
        var message = message
        var fragments = UpdateFragments(updates: updates, render: render)
        let shared = updates[0].0
        let subscribers = shared.subscribers
        if let callerSession {
            let count = subscribers[callerSession.connectionId]?.count ?? 0
            let seen = count > 0 ? [(update: 0, count: count)] : []
            message.reducerCall.requestId = requestId
            deliverOwn(message, tables: fragments.tables(seen), &fragments, to: callerSession, offset: offset)
            message.reducerCall.requestId = 0
        }
        var frames = SharedFrames()
        // The frame of every client but the caller with `format` that has this query `count` times.
        func frame(_ format: WireFormat, _ count: Int) -> ByteBuffer {
            frames.frame(format, count) { encode(message, tables: fragments.tables([(0, count)]), &fragments, format: format) }
        }
        if subscribers.count >= Self.groupedFanOutMinimum {
            let audience = shared.audience
            outbox.send(
                groups: audience.groups.map { Outbox.Group(frame: frame($0.format, $0.count), outlets: $0.outlets, loop: $0.loop) },
                except: callerSession?.outlet)
            for (session, count) in audience.confirmed where session !== callerSession && !session.outlet.isClosing {
                deliver(frame(session.format, count), to: session, offset: offset)
            }
            // The loops start writing now (with `every-commit`, the batch waits for the fsync as a whole).
            if commitlog?.fsyncPolicy != .everyCommit { outbox.flush() }
            return
        }
        for (id, sub) in subscribers where id != callerSession?.connectionId && !sub.session.outlet.isClosing {
            deliver(frame(sub.session.format, sub.count), to: sub.session, offset: offset)
            handOverIfLarge()
        }
    }

    /// From how many subscribers of one changed query on its frames are handed to the event loops as
    /// groups, each loop checking and writing its clients itself, instead of one by one.
    static let groupedFanOutMinimum = 32

    /// Hands the frames queued so far to the event loops once a fan-out has queued
    /// ``Outbox/earlyHandover`` clients, so that the loops write to the first subscribers while
    /// the worker queues the rest. Not when replies wait for an fsync (`every-commit`): that wait
    /// is once per batch, at its end.
    private func handOverIfLarge() {
        guard outbox.clientCount >= Outbox.earlyHandover, commitlog?.fsyncPolicy != .everyCommit else { return }
        outbox.flush()
    }

    /// One client's TransactionUpdate frame in `format`, with the table updates `tables`.
    private func encode(
        _ message: TransactionUpdate, tables: [UpdateFragments.Part], _ fragments: inout UpdateFragments, format: WireFormat
    ) -> ByteBuffer {
        withPayload(message, tables: tables, &fragments, format: format) { ServerFrame.make($0, format: format) }
    }

    /// Delivers a TransactionUpdate only `session` gets (the caller's: its request id), with the
    /// table updates `tables`.
    private func deliverOwn(
        _ message: TransactionUpdate, tables: [UpdateFragments.Part], _ fragments: inout UpdateFragments,
        to session: ClientSession, offset: UInt64?
    ) {
        let format = session.format
        withPayload(message, tables: tables, &fragments, format: format) {
            deliver(payload: $0, format: format, to: session, offset: offset)
        }
    }

    /// Calls `body` with the payload of a TransactionUpdate in `format` (BSATN is encoded with the
    /// worker's reusable ``DatabaseHost/scratch`` writer).
    private func withPayload<R>(
        _ message: TransactionUpdate, tables: [UpdateFragments.Part], _ fragments: inout UpdateFragments, format: WireFormat,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        switch format {
        case .bsatn:
            scratch.removeAll()
            ServerMessage.writeTransactionHeader(message, to: &scratch)
            scratch.writeLength(tables.count)
            for t in tables { scratch.writeRaw(fragments.bsatn(t)) }
            scratch.write(message.executionMicros)
            let result = scratch.withBytes(body)
            if scratch.count > 1 << 20 { scratch = BSATNWriter(capacity: 512) }  // do not keep a huge message's memory
            return result
        case .json:
            let json = ServerMessage.transactionJSON(message, tables: tables.map { fragments.json($0) }, render: render)
            return json.utf8.withUnsafeBytes(body)
        }
    }

    func micros(since start: ContinuousClock.Instant) -> UInt64 { (ContinuousClock.now - start).wholeMicroseconds }
}

/// The frames of one broadcast that clients other than the caller share, by format and
/// subscription count (a handful per transaction), each built on first use.
struct SharedFrames {
    private var built: [(format: WireFormat, count: Int, bytes: ByteBuffer)] = []

    /// The frame for `format` and `count`, encoded by `build` on first use.
    mutating func frame(_ format: WireFormat, _ count: Int, build: () -> ByteBuffer) -> ByteBuffer {
        if let hit = built.first(where: { $0.format == format && $0.count == count }) { return hit.bytes }
        let bytes = build()
        built.append((format, count, bytes))
        return bytes
    }
}

/// Identifies a TransactionUpdate's bytes for clients other than the caller: their format and
/// which updates they see how many times (in the order the registry listed them, the same for
/// every client).
struct MessageKey: Hashable {
    var format: WireFormat
    /// Update index and subscription count, flattened.
    var seen: [Int]

    init(format: WireFormat, seen: [(update: Int, count: Int)]) {
        self.format = format
        var flat: [Int] = []
        flat.reserveCapacity(seen.count * 2)
        for (u, c) in seen {
            flat.append(u)
            flat.append(c)
        }
        self.seen = flat
    }
}

/// The table updates of one transaction, encoded once per format however many clients see them.
///
/// A client whose only changed query on a table is one subscription gets that query's fragment
/// as is (the common case, shared by every such client); a client with several changed queries
/// on one table (or one query twice) gets them merged, each row once per subscription.
struct UpdateFragments {
    /// One table's part of a client's message: the updates (and their subscription counts) it merges.
    struct Part: Hashable {
        var table: String
        var members: [Member]
    }

    struct Member: Hashable {
        var update: Int
        var count: Int
    }

    let updates: [(SharedQuery, LiveUpdate)]
    let render: JSONRendering
    private var bsatnCache: [Part: [UInt8]] = [:]
    private var jsonCache: [Part: JSONValue] = [:]

    init(updates: [(SharedQuery, LiveUpdate)], render: JSONRendering) {
        self.updates = updates
        self.render = render
    }

    /// The parts of a client's message, one per table, in a stable order.
    func tables(_ seen: [(update: Int, count: Int)]) -> [Part] {
        var parts: [Part] = []
        for (u, count) in seen.sorted(by: { $0.update < $1.update }) {
            let table = updates[u].0.query.tableName
            if let i = parts.firstIndex(where: { $0.table == table }) {
                parts[i].members.append(Member(update: u, count: count))
            } else {
                parts.append(Part(table: table, members: [Member(update: u, count: count)]))
            }
        }
        return parts
    }

    private func tableUpdate(_ part: Part) -> TableUpdate {
        var merged = TableUpdate(tableName: part.table, inserts: [], deletes: [])
        for m in part.members {
            let u = updates[m.update].1
            for _ in 0..<m.count {
                merged.inserts += u.inserts
                merged.deletes += u.deletes
            }
        }
        return merged
    }

    mutating func bsatn(_ part: Part) -> [UInt8] {
        if let b = bsatnCache[part] { return b }
        var w = BSATNWriter(capacity: 64)
        tableUpdate(part).encode(to: &w)
        bsatnCache[part] = w.bytes
        return w.bytes
    }

    mutating func json(_ part: Part) -> JSONValue {
        if let j = jsonCache[part] { return j }
        let j = tableUpdate(part).json(render)
        jsonCache[part] = j
        return j
    }
}
