public import StarlingTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log of one database's module: what the module wrote with the `log` import, timer
/// results, and the host's own messages about it (traps, out-of-fuel).
///
/// Keeps the last ``capacity`` records in memory (a ring buffer) and optionally appends every
/// record to a file, one line each. Thread-safe: the database's writer appends while the server
/// reads ``recent(_:)`` from other threads.
public final class ModuleLog: Sendable {
    /// Severity of a record (the numbers are the ABI's `level` argument).
    public enum Level: UInt8, Hashable, Sendable, CustomStringConvertible {
        case error = 0, warn, info, debug, trace
        public var description: String {
            switch self {
            case .error: "ERROR"
            case .warn: "WARN"
            case .info: "INFO"
            case .debug: "DEBUG"
            case .trace: "TRACE"
            }
        }
    }

    /// One log record.
    public struct Record: Hashable, Sendable {
        public var time: Timestamp
        public var level: Level
        /// The source file the module reported (empty for host messages).
        public var file: String
        public var line: UInt32
        public var message: String

        public init(time: Timestamp, level: Level, file: String, line: UInt32, message: String) {
            self.time = time
            self.level = level
            self.file = file
            self.line = line
            self.message = message
        }

        /// The record as one line of the log file (no newline): `<UTC time> <LEVEL> <file>:<line>: <message>`.
        public var formatted: String {
            let place = file.isEmpty ? "host" : "\(file):\(line)"
            let oneLine = message.contains("\n") ? message.split(separator: "\n").joined(separator: " | ") : message
            return "\(formatUTC(time)) \(level) \(place): \(oneLine)"
        }
    }

    private struct State {
        var records: [Record] = []
        /// Index of the oldest record once the buffer is full.
        var head = 0
        var fd: Int32 = -1
        /// Who receives each new record (``follow(last:_:)``).
        var followers: [Int: @Sendable (Record) -> Void] = [:]
        var nextFollower = 0
        /// Lines of the log file written before this process opened it (oldest first), so
        /// ``recentLines(_:)`` reaches back across restarts.
        var history: [String] = []
    }

    /// How many records are kept in memory.
    public let capacity: Int
    private let state: Mutex<State>

    /// A log keeping the last `capacity` records in memory only.
    public init(capacity: Int = 10_000) {
        precondition(capacity > 0, "a module log needs room for at least one record")
        self.capacity = capacity
        state = Mutex(State())
    }

    /// A log keeping the last `capacity` records that also appends every record to the file at
    /// `filePath` (created if missing).
    public init(capacity: Int = 10_000, filePath: String) throws(ModuleError) {
        precondition(capacity > 0, "a module log needs room for at least one record")
        self.capacity = capacity
        let fd = open(filePath, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ModuleError(.logFile, "cannot open module log file `\(filePath)`: errno \(errno)")
        }
        var s = State()
        s.fd = fd
        s.history = Self.tail(of: fd, lines: capacity)
        state = Mutex(s)
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
        }
    }

    /// Appends a record.
    public func append(_ record: Record) {
        let followers = state.withLock { s in
            if s.records.count < capacity {
                s.records.append(record)
            } else {
                s.records[s.head] = record
                s.head = (s.head + 1) % capacity
            }
            if s.fd >= 0 {
                var line = record.formatted + "\n"
                line.withUTF8 { b in
                    var done = 0
                    while done < b.count {
                        let n = write(s.fd, b.baseAddress! + done, b.count - done)
                        if n <= 0 { break }
                        done += n
                    }
                }
            }
            return s.followers.isEmpty ? [] : Array(s.followers.values)
        }
        for f in followers { f(record) }
    }

    /// Returns the last `n` lines (``recentLines(_:)``) and, atomically with that, starts calling
    /// `sink` with every record appended after them (on the appending thread; keep it quick).
    /// Stop with ``unfollow(_:)`` and the returned token.
    public func follow(last n: Int, _ sink: @escaping @Sendable (Record) -> Void) -> (lines: [String], token: Int) {
        state.withLock { s in
            let token = s.nextFollower
            s.nextFollower += 1
            s.followers[token] = sink
            return (Self.recentLines(n, in: s), token)
        }
    }

    /// The last `n` lines of the log (as ``Record/formatted``), reaching into what the log file
    /// held before this process opened it.
    public func recentLines(_ n: Int) -> [String] {
        state.withLock { s in Self.recentLines(n, in: s) }
    }

    private static func recentLines(_ n: Int, in s: State) -> [String] {
        let current = recent(n, in: s).map(\.formatted)
        let older = max(0, n) - current.count
        return older > 0 ? s.history.suffix(older) + current : current
    }

    /// The last `lines` lines of the file behind `fd` (reading at most its last 4 MiB).
    private static func tail(of fd: Int32, lines: Int) -> [String] {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return [] }
        let start = max(0, Int(size) - (4 << 20))
        var bytes = [UInt8](repeating: 0, count: Int(size) - start)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard n > 0 else { return [] }
        var all = String(decoding: bytes[..<n], as: UTF8.self).split(separator: "\n").map(String.init)
        if start > 0, !all.isEmpty { all.removeFirst() }  // probably cut
        return Array(all.suffix(lines))
    }

    /// Stops a ``follow(last:_:)``.
    public func unfollow(_ token: Int) {
        _ = state.withLock { s in s.followers.removeValue(forKey: token) }
    }

    /// Appends a host message (no file/line) stamped with the current time.
    public func host(_ level: Level, _ message: String) {
        append(Record(time: .now, level: level, file: "", line: 0, message: message))
    }

    /// The last `n` records, oldest first.
    public func recent(_ n: Int) -> [Record] {
        state.withLock { s in Self.recent(n, in: s) }
    }

    private static func recent(_ n: Int, in s: State) -> [Record] {
        let count = min(max(n, 0), s.records.count)
        var out: [Record] = []
        out.reserveCapacity(count)
        let total = s.records.count
        for k in (total - count)..<total { out.append(s.records[(s.head + k) % total]) }
        return out
    }

    /// How many records are held in memory.
    public var count: Int { state.withLock { $0.records.count } }
}

extension Timestamp {
    /// The current wall-clock time.
    static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsSinceUnixEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a timestamp (proleptic Gregorian, UTC).
func formatUTC(_ t: Timestamp) -> String {
    let micros = t.microsSinceUnixEpoch
    let secs = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let frac = micros - secs * 1_000_000
    let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
    let sod = secs - days * 86_400
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(sod / 3600, 2)):\(pad(sod % 3600 / 60, 2)):\(pad(sod % 60, 2)).\(pad(frac, 6))Z"
}
