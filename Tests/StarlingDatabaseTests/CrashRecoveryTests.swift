import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingStore
import StarlingTypes
import Testing

/// Durability is tested by crashing: a real child process (`starling-crash-writer`) commits
/// transactions and reports each acknowledged one; the test kills it with SIGKILL at a random
/// moment, reopens the database in-process and checks that every acknowledged transaction is there
/// (`every-commit`), that loss stays within the unsynced tail (`batch`), and that no transaction is
/// ever half-applied.
@Suite(.serialized) struct CrashRecoveryTests {
    /// The writer executable, built next to the test bundle.
    static var writerPath: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("starling-crash-writer").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return dir.appendingPathComponent("starling-crash-writer").path
    }

    struct Ack {
        var i: UInt64
        var offset: UInt64
        var durable: Int64
    }

    /// Runs the writer until `killAfter` past its first acknowledgement, then SIGKILLs it.
    static func runAndKill(directory: String, policy: FsyncPolicy, killAfter: Duration, segmentSize: Int) throws -> [Ack] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: writerPath)
        process.arguments = [directory, policy.rawValue, String(segmentSize)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        // A reader thread collects acknowledgements, so a writer that hangs fails the test
        // (after the time limit) instead of hanging it.
        let lines = LineCollector()
        let reader = out.fileHandleForReading
        let thread = Thread {
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                lines.append(chunk)
            }
        }
        thread.start()
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(20)
        var deadline: ContinuousClock.Instant?
        while clock.now < giveUp, process.isRunning {
            if deadline == nil, lines.hasAck { deadline = clock.now + killAfter }
            if let deadline, clock.now >= deadline { break }
            Thread.sleep(forTimeInterval: 0.002)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        while !lines.closed(by: thread) { Thread.sleep(forTimeInterval: 0.002) }
        return lines.acks()
    }

    /// Acknowledgement lines read from the writer's stdout (filled by a reader thread).
    final class LineCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var buffer = Data()
        private var parsed: [Ack] = []

        func append(_ chunk: Data) {
            lock.lock()
            defer { lock.unlock() }
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...nl)
                let parts = line.split(separator: " ")
                if parts.count == 4, parts[0] == "ack", let i = UInt64(parts[1]), let o = UInt64(parts[2]),
                    let d = Int64(parts[3])
                {
                    parsed.append(Ack(i: i, offset: o, durable: d))
                }
            }
        }

        var hasAck: Bool {
            lock.lock()
            defer { lock.unlock() }
            return !parsed.isEmpty
        }

        func acks() -> [Ack] {
            lock.lock()
            defer { lock.unlock() }
            return parsed
        }

        /// Whether the reader thread has finished (the pipe reached end of file).
        func closed(by thread: Thread) -> Bool { thread.isFinished }
    }

    /// Checks the recovered state: kv holds exactly 0...n with v = 7k and counter.n == n.
    static func verify(_ db: Database, context: String) throws -> UInt64? {
        try db.store.read { tx in
            guard let kv = try? tx.tableId("kv") else { return nil }
            let counter = try tx.tableId("counter")
            var keys: [UInt64] = []
            try tx.scan(kv) { _, row in
                let k = row.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
                let v = row.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                #expect(v == k &* 7, "\(context): kv(\(k)) has v \(v)")
                keys.append(k)
                return true
            }
            keys.sort()
            var n: UInt64?
            try tx.scan(counter) { _, row in
                n = row.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
                return false
            }
            guard let n else {
                #expect(keys.isEmpty, "\(context): rows without the counter that commits with them")
                return nil
            }
            #expect(keys == Array(0...n), "\(context): kv keys are not exactly 0...\(n) (a partial or lost transaction)")
            return n
        }
    }

    @Test func killNineLosesNothingAcknowledged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: UInt64(UInt32(truncatingIfNeeded: Date().timeIntervalSince1970.bitPattern)))
        var lastN: UInt64?
        for round in 0..<24 {
            let policy: FsyncPolicy = round % 4 == 3 ? .batch : .everyCommit
            let killAfter = Duration.milliseconds(Int64(5 + rng.next() % 150))
            // Small segments so rounds also crash around segment rolls.
            let acks = try Self.runAndKill(directory: dir, policy: policy, killAfter: killAfter, segmentSize: 64 << 10)
            #expect(!acks.isEmpty, "round \(round): the writer acknowledged nothing within 20 s")
            let db = try Database.open(directory: dir)
            defer { try? db.close() }
            let context = "round \(round) (\(policy.rawValue), killed \(killAfter) after the first ack, \(acks.count) acks)"
            let n = try Self.verify(db, context: context)
            if let lastN { #expect(n ?? 0 >= lastN, "\(context): state went backwards") }
            switch policy {
            case .everyCommit:
                if let last = acks.last { #expect(n != nil && n! >= last.i, "\(context): acknowledged \(last.i), recovered \(String(describing: n))") }
            default:
                // Everything at or below the highest durable offset the writer reported survives.
                let maxDurable = acks.map(\.durable).max() ?? -1
                if maxDurable >= 0, let durable = acks.last(where: { Int64($0.offset) <= maxDurable }) {
                    #expect(n != nil && n! >= durable.i, "\(context): \(durable.i) was durable, recovered \(String(describing: n))")
                }
            }
            lastN = n
        }
        #expect((lastN ?? 0) > 0, "the writer made progress")
    }
}
