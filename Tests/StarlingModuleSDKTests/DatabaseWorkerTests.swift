import Foundation
import StarlingRuntime
import StarlingTypes
import Synchronization
import Testing

/// The worker thread of a database: order of jobs across busy and idle spells, polling for work
/// only while work keeps coming, prompt stop.
@Suite struct DatabaseWorkerTests {
    /// The kernel's name and CPU time (utime + stime, in clock ticks) of each of this process's threads.
    static func threadTicks() -> [(name: String, ticks: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command: state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
            return (comm.trimmingCharacters(in: .newlines), user + system)
        }
    }

    static func ticks(of name: String) -> Int? { threadTicks().first { $0.name == name }?.ticks }

    @Test func keepsOrderAcrossIdleSpellsRestsWhenQuietAndStopsPromptly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-worker-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wasm = try BuiltModules.wasm("Tests/StarlingModuleSDKTests/Fixtures/bank-v2")
        let db = try ModuleDatabase.publish(
            wasm: wasm, owner: Identity(limbs: (11, 0, 0, 0)), identity: Identity(limbs: (98, 0, 0, 0)),
            options: RuntimeOptions(directory: dir))
        let worker = DatabaseWorker(db, name: "worker-probe")
        let seen = Mutex<[Int]>([])
        var submitted = 0
        // Gaps inside and outside the polling window, so the worker both polls and sleeps.
        for gap in [0, 50, 100, 400, 2_000, 0, 30, 5_000, 10] {
            for _ in 0..<25 {
                let n = submitted
                worker.submit { _ in seen.withLock { $0.append(n) } }
                submitted += 1
            }
            if gap > 0 { usleep(UInt32(gap)) }
        }
        worker.perform { _ in }
        #expect(seen.withLock { $0 } == Array(0..<submitted))

        // Quiet: the thread sleeps rather than polls (a polling thread would burn ~30 ticks here).
        let before = try #require(Self.ticks(of: "worker-probe"), "the worker thread carries its name in the kernel")
        Thread.sleep(forTimeInterval: 0.3)
        let after = try #require(Self.ticks(of: "worker-probe"))
        #expect(after - before <= 3, "the idle worker used \(after - before) ticks of CPU in 0.3 s")

        // Busy again, then stopped while it may be polling: it finishes the job and stops at once.
        for _ in 0..<50 {
            worker.submit { _ in seen.withLock { $0.append(-1) } }
            usleep(20)
        }
        let start = ContinuousClock.now
        worker.stop()
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(seen.withLock { $0.count } == submitted + 50)
    }
}
