import StarlingNetClient
import StarlingProtocol
import StarlingTypes

extension StarlingConnection {
    // MARK: - Opening

    /// Opens the WebSocket, starts its receive task and waits for IdentityToken (at most
    /// `connectTimeout`). The first connect and every reconnect attempt go through here.
    func openSocket() async throws(StarlingError) {
        let token = state.withLock { $0.token ?? "" }
        let ws: WebSocketConnection
        do {
            ws = try await WebSocketClient.connect(
                url: webSocketURL, subprotocol: options.wireFormat.subprotocol, headers: [("Authorization", "Bearer \(token)")],
                maxFrameSize: options.maxMessageSize, maxMessageSize: options.maxMessageSize, timeout: options.connectTimeout,
                tls: options.tlsOptions)
        } catch {
            throw StarlingError.network(error, "cannot open the WebSocket of database `\(database)` at \(baseURL)")
        }
        let identified = Promise<Void>()
        let socket = state.withLock { s -> OpenSocket? in
            guard s.phase != .closed else { return nil }
            s.generation += 1
            let socket = OpenSocket(socket: ws, generation: s.generation)
            s.socket = socket
            s.awaitingIdentity = (s.generation, identified)
            return socket
        }
        guard let socket else {
            await ws.close(code: .normalClosure, reason: "client closed")
            throw StarlingError(.closed, "the connection was closed while connecting")
        }
        let receiving = Task { await self.receive(on: socket) }
        state.withLock { $0.receiveTask = receiving }
        let timeout = options.connectTimeout
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            identified.resolve(.failure(StarlingError(.connectFailed, "no IdentityToken from \(self.baseURL) within \(timeout)")))
        }
        do {
            try await identified.value()
            timer.cancel()
        } catch {
            timer.cancel()
            await ws.close(code: .normalClosure, reason: "connect failed")
            await receiving.value
            throw error
        }
    }

    // MARK: - Receiving

    /// Reads the socket's messages until it closes, then handles the end.
    private func receive(on socket: OpenSocket) async {
        do {
            for try await message in socket.socket.messages {
                await handle(message, on: socket)
            }
        } catch {
            // The connection failed or dropped; its close info says how.
        }
        let info = await socket.socket.closed()
        socketEnded(socket, info)
    }

    /// Decodes one message, applies it under the lock, then runs its callbacks and sends what it requires.
    private func handle(_ message: WebSocketMessage, on socket: OpenSocket) async {
        let decoded: ServerMessage
        do {
            decoded = try decode(message)
        } catch {
            return run(state.withLock { $0.emit(.error(error)) })
        }
        let (effects, sends) = state.withLock { s -> ([Effect], [ClientMessage]) in
            guard s.socket?.generation == socket.generation else { return ([], []) }
            return process(decoded, &s)
        }
        run(effects)
        for m in sends { await send(m, on: socket) }
    }

    private func decode(_ message: WebSocketMessage) throws(StarlingError) -> ServerMessage {
        switch (message, options.wireFormat) {
        case (.binary(let bytes), .bsatn):
            do throws(ProtocolError) {
                return try bytes.withBytes { (buf) throws(ProtocolError) -> ServerMessage in try ServerMessage.decode(bsatn: buf) }
            } catch {
                throw StarlingError(.protocolError, "cannot read a server message: \(error.message)")
            }
        case (.text(let text), .json):
            return try JSONServerMessage.decode(text, schema: schema)
        case (.text, .bsatn), (.binary, .json):
            throw StarlingError(.protocolError, "the server sent a \(message.kind) frame on a \(options.wireFormat.rawValue) connection")
        }
    }

    // MARK: - Losing the socket

    /// The socket closed: fail what waited on it, then reconnect, or shut down after ``close()``.
    private func socketEnded(_ socket: OpenSocket, _ info: WebSocketCloseInfo?) {
        let reconnect = options.reconnect != nil
        let (effects, startReconnect) = state.withLock { s -> ([Effect], Bool) in
            guard s.socket?.generation == socket.generation else { return ([], false) }
            s.socket = nil
            let error = s.phase == .closed ? StarlingError(.closed, "the connection was closed") : StarlingError.closed(by: info)
            var effects: [Effect] = []
            if let waiting = s.awaitingIdentity, waiting.generation == socket.generation {
                s.awaitingIdentity = nil
                let failure = StarlingError(
                    .connectFailed, "the connection to \(baseURL) closed before it was identified: \(error.message)", reason: error.reason,
                    closeCode: error.closeCode)
                effects.append { waiting.identified.resolve(.failure(failure)) }
            }
            for (_, call) in s.pendingCalls {
                let lost = StarlingError(
                    error.code, "the connection ended before reducer `\(call.reducer)` answered; it may or may not have run (\(error.message))",
                    reason: error.reason, closeCode: error.closeCode)
                effects.append { call.outcome.resolve(.failure(lost)) }
            }
            s.pendingCalls = [:]
            s.subscriptionRequests = [:]
            switch s.phase {
            case .closed:
                return (effects + s.shutDown(error), false)
            case .connected:
                effects += s.emit(.disconnected(error, willReconnect: reconnect))
                if reconnect {
                    s.phase = .reconnecting
                    s.attempts = 0
                    return (effects, true)
                }
                s.phase = .closed
                return (effects + s.shutDown(error), false)
            case .connecting, .reconnecting:
                return (effects, false)  // a failed attempt: whoever made it retries or gives up
            }
        }
        run(effects)
        if startReconnect { startReconnecting() }
    }

    // MARK: - Reconnecting

    private func startReconnecting() {
        let task = Task { await self.reconnectLoop() }
        let keep = state.withLock { s -> Bool in
            guard s.phase == .reconnecting else { return false }
            s.reconnectTask = task
            return true
        }
        if !keep { task.cancel() }
    }

    /// Waits (backoff with jitter), reloads the schema and reopens the socket until it works,
    /// the policy gives up, or the connection is closed.
    private func reconnectLoop() async {
        guard let policy = options.reconnect else { return }
        while true {
            let attempt = state.withLock { s -> Int? in
                guard s.phase == .reconnecting else { return nil }
                s.attempts += 1
                return s.attempts
            }
            guard let attempt else { return }
            guard let delay = policy.delay(beforeAttempt: attempt) else { return giveUp(after: attempt - 1) }
            guard (try? await Task.sleep(for: delay)) != nil, state.withLock({ $0.phase == .reconnecting }) else { return }
            do {
                let token = state.withLock { $0.token }
                let schema = try await ServerHTTP.schema(baseURL: baseURL, database: database, token: token, options: options)
                let stillTrying = state.withLock { s -> Bool in
                    guard s.phase == .reconnecting else { return false }
                    s.cache.setSchema(schema)
                    return true
                }
                guard stillTrying else { return }
                try await openSocket()
                return
            } catch {
                continue
            }
        }
    }

    private func giveUp(after attempts: Int) {
        let effects = state.withLock { s -> [Effect] in
            guard s.phase == .reconnecting else { return [] }
            s.phase = .closed
            s.reconnectTask = nil
            let error = StarlingError(.connectionLost, "gave up reconnecting to \(baseURL) after \(attempts) attempts")
            return s.emit(.error(error)) + s.shutDown(error)
        }
        run(effects)
    }

    // MARK: - Closing

    /// Closes the connection for good: no reconnect; pending calls and queries fail with
    /// ``StarlingError/Code/closed``; async streams end; the cache keeps its last rows.
    /// Returns once the socket closed.
    public func close() async {
        let (socket, receiving, reconnecting, effects) = state.withLock {
            s -> (OpenSocket?, Task<Void, Never>?, Task<Void, Never>?, [Effect]) in
            guard s.phase != .closed else { return (nil, nil, nil, []) }
            s.phase = .closed
            let reconnecting = s.reconnectTask
            s.reconnectTask = nil
            if let socket = s.socket { return (socket, s.receiveTask, reconnecting, []) }
            return (nil, nil, reconnecting, s.shutDown(StarlingError(.closed, "the connection was closed")))
        }
        reconnecting?.cancel()
        run(effects)
        if let socket {
            await socket.socket.close(code: .normalClosure, reason: "client closed")
            await receiving?.value
        }
    }
}

extension WebSocketMessage {
    /// `text` or `binary`.
    var kind: String {
        switch self {
        case .text: "text"
        case .binary: "binary"
        }
    }
}
