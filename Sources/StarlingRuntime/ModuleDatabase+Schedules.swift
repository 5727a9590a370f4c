import StarlingDatabase
import StarlingModuleHost
import StarlingStore
import StarlingTypes

extension ModuleDatabase {
    /// When the next scheduled reducer is due, if any.
    public var nextScheduledTime: Timestamp? { schedules.nextDue }

    /// How many schedule rows are pending.
    public var scheduledCount: Int { schedules.count }

    /// Runs every scheduled reducer due at `now`, each in its own transaction, as the database's
    /// own identity. A one-shot row is deleted in the same transaction as its call (or, if the
    /// call fails, in a transaction of its own, so a failing schedule does not fire forever).
    /// A repeating row stays and is due again one interval later.
    ///
    /// `each` sees every transaction right after it ends (while the store shows its result): the
    /// calls, and the removals of failed one-shot rows.
    @discardableResult
    public func runDueSchedules(now: Timestamp = .now, each: (CallResult) -> Void = { _ in }) -> [CallResult] {
        var results: [CallResult] = []
        for entry in schedules.due(at: now) {
            guard let source = schedules.sources[entry.table], let id = host.reducerID(named: source.reducer) else {
                schedules.remove(entry)
                continue
            }
            let context = CallContext(sender: info.databaseIdentity, timestamp: now)
            let oneShot = entry.interval == nil
            var rowGone = false
            let result = run(id, name: source.reducer, args: entry.row, context: context) { tx in
                guard oneShot else { return true }
                do {
                    let deleted = try tx.delete(try tx.tableId(entry.table), row: entry.row)
                    rowGone = !deleted
                    return deleted
                } catch {
                    return false
                }
            }
            if rowGone {
                schedules.remove(entry)
                continue
            }
            results.append(result)
            each(result)
            if oneShot {
                if !result.outcome.isSuccess, let removal = deleteFailedSchedule(entry, result) { each(removal) }
                schedules.remove(entry)
            } else {
                schedules.reschedule(entry, now: now)
            }
        }
        return results
    }

    /// Removes the row of a failed one-shot schedule in a transaction of its own, whose result it returns.
    private func deleteFailedSchedule(_ entry: ScheduleQueue.Entry, _ result: CallResult) -> CallResult? {
        log.host(.warn, "scheduled reducer `\(result.reducer)` failed (\(result.outcome.message ?? "")); its row in `\(entry.table)` is removed")
        let start = ContinuousClock.now
        do {
            let (_, delta, offset) = try database.write { tx throws(StoreError) in
                _ = try tx.delete(try tx.tableId(entry.table), row: entry.row)
            }
            return CallResult(
                reducer: result.reducer, outcome: .success, delta: delta.isEmpty ? nil : delta, offset: offset,
                timestamp: .now, duration: ContinuousClock.now - start)
        } catch {
            log.host(.error, "could not remove the failed schedule row of `\(entry.table)`: \(error.message)")
            return nil
        }
    }
}
