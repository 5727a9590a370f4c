import Foundation

/// A value guarded by a lock: every access goes through ``withLock(_:)``.
///
/// `NSLock` works on every platform the SDK targets (Apple platforms and Linux); the lock is
/// never held while app code (callbacks) runs or while a task awaits.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A result that arrives later, awaited by any number of tasks (a reducer call's outcome, a
/// query set being applied). Resolving twice keeps the first result.
final class Promise<T: Sendable>: Sendable {
    private let state = Locked<(result: Result<T, StarlingError>?, waiters: [CheckedContinuation<Result<T, StarlingError>, Never>])>(
        (nil, []))

    /// Sets the result and wakes every waiter; later calls do nothing.
    func resolve(_ result: Result<T, StarlingError>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Result<T, StarlingError>, Never>] in
            guard s.result == nil else { return [] }
            s.result = result
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: result) }
    }

    /// Whether a result was set.
    var isResolved: Bool { state.withLock { $0.result != nil } }

    /// Waits for the result.
    func value() async throws(StarlingError) -> T {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<T, StarlingError>, Never>) in
            let ready = state.withLock { s -> Result<T, StarlingError>? in
                if let r = s.result { return r }
                s.waiters.append(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
        return try result.get()
    }
}
