#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock in nanoseconds (`CLOCK_MONOTONIC`, a vDSO call on Linux).
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time and write syscalls of a process (and of the machine) at one instant, read from Linux `/proc`.
///
/// Take one sample before and one after the measured window; ``delta(to:)`` gives the cost of the window.
/// Fields are nil where the platform or permissions do not provide them.
struct CostSample: Sendable {
    var wallNanos: UInt64
    /// The server's user + system CPU time (µs), from `/proc/PID/stat` (all threads).
    var serverCPUMicros: Double?
    /// The server's write syscalls (`syscw` in `/proc/PID/io`: write, writev, pwrite, sendmsg ...).
    var serverWriteSyscalls: Double?
    /// The server's CPU time per thread name (µs), from `/proc/PID/task/*/stat`.
    var serverThreads: [String: Double] = [:]
    /// This process's user + system CPU time (µs), from `getrusage`.
    var selfCPUMicros: Double
    var selfWriteSyscalls: Double?
    var selfThreads: [String: Double] = [:]
    /// The machine's busy, stolen (by the hypervisor) and total CPU time (µs, all cores), from `/proc/stat`.
    var machineBusyMicros: Double?
    var machineStealMicros: Double?
    var machineTotalMicros: Double?

    /// Samples now. `serverPID` nil: server fields stay nil.
    static func take(serverPID: Int32?) -> CostSample {
        var s = CostSample(wallNanos: monotonicNanos(), selfCPUMicros: selfCPU())
        if let pid = serverPID {
            s.serverCPUMicros = ProcFS.cpuMicros(statPath: "/proc/\(pid)/stat")
            s.serverWriteSyscalls = ProcFS.ioField("syscw", pid: "\(pid)")
            s.serverThreads = ProcFS.threadCPU(pid: "\(pid)")
        }
        s.selfWriteSyscalls = ProcFS.ioField("syscw", pid: "self")
        s.selfThreads = ProcFS.threadCPU(pid: "self")
        if let (busy, steal, total) = ProcFS.machineCPU() {
            s.machineBusyMicros = busy
            s.machineStealMicros = steal
            s.machineTotalMicros = total
        }
        return s
    }

    /// The cost between `self` and `later`, field by field.
    func delta(to later: CostSample) -> CostDelta {
        func diff(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b else { return nil }
            return b - a
        }
        func threads(_ a: [String: Double], _ b: [String: Double]) -> [String: Double] {
            b.reduce(into: [:]) { out, entry in out[entry.key] = entry.value - (a[entry.key] ?? 0) }
        }
        return CostDelta(
            seconds: Double(later.wallNanos - wallNanos) / 1e9,
            serverCPUMicros: diff(serverCPUMicros, later.serverCPUMicros),
            serverWriteSyscalls: diff(serverWriteSyscalls, later.serverWriteSyscalls),
            serverThreads: threads(serverThreads, later.serverThreads),
            selfCPUMicros: later.selfCPUMicros - selfCPUMicros,
            selfWriteSyscalls: diff(selfWriteSyscalls, later.selfWriteSyscalls),
            selfThreads: threads(selfThreads, later.selfThreads),
            machineBusyMicros: diff(machineBusyMicros, later.machineBusyMicros),
            machineStealMicros: diff(machineStealMicros, later.machineStealMicros),
            machineTotalMicros: diff(machineTotalMicros, later.machineTotalMicros)
        )
    }

    private static func selfCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
        let system = Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
        return user + system
    }
}

/// The difference of two ``CostSample``s: what a window cost.
struct CostDelta: Sendable {
    var seconds: Double
    var serverCPUMicros: Double?
    var serverWriteSyscalls: Double?
    var serverThreads: [String: Double]
    var selfCPUMicros: Double
    var selfWriteSyscalls: Double?
    var selfThreads: [String: Double]
    var machineBusyMicros: Double?
    var machineStealMicros: Double?
    var machineTotalMicros: Double?

    /// How many cores' worth of CPU processes other than the server and the load generator used during the
    /// window (busy machine time minus both): other work on the machine that disturbs the measurement.
    var otherProcessesCores: Double? {
        guard let busy = machineBusyMicros, let server = serverCPUMicros, seconds > 0 else { return nil }
        return max(0, busy - server - selfCPUMicros) / 1e6 / seconds
    }

    /// The share of all cores' time the hypervisor gave to other guests (0...1), if known.
    var machineStealShare: Double? {
        guard let steal = machineStealMicros, let total = machineTotalMicros, total > 0 else { return nil }
        return steal / total
    }

    /// The share of all cores that was busy (0...1), if known.
    var machineBusyShare: Double? {
        guard let busy = machineBusyMicros, let total = machineTotalMicros, total > 0 else { return nil }
        return busy / total
    }
}

/// Small readers of Linux `/proc` files.
enum ProcFS {
    /// Microseconds per clock tick of `/proc` CPU times (`sysconf(_SC_CLK_TCK)`, usually 100 Hz).
    static let microsPerTick: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? 1e6 / Double(ticks) : 1e4
    }()

    /// The whole (small) file, or nil if it cannot be read.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `(name, utime + stime in µs)` from a `stat` file: fields 14 and 15, counted after the `(comm)` field.
    static func nameAndCPU(statPath: String) -> (String, Double)? {
        guard let text = read(statPath), let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else {
            return nil
        }
        let name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (name, (user + system) * microsPerTick)
    }

    static func cpuMicros(statPath: String) -> Double? { nameAndCPU(statPath: statPath)?.1 }

    /// One counter of `/proc/PID/io` (readable for processes of the same user).
    static func ioField(_ field: String, pid: String) -> Double? {
        guard let text = read("/proc/\(pid)/io") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Double(line.dropFirst(field.count + 1).drop { $0 == " " })
        }
        return nil
    }

    /// CPU time per thread, keyed `name/tid` (the kernel's 15-character name: Dispatch names its pool threads
    /// `com.apple.root.default-qos`, shown as `oot.default-qos`, and threads that fail to set a longer name keep it).
    static func threadCPU(pid: String) -> [String: Double] {
        guard let dir = opendir("/proc/\(pid)/task") else { return [:] }
        defer { closedir(dir) }
        var result: [String: Double] = [:]
        while let entry = readdir(dir) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard tid.first?.isNumber == true, let (name, cpu) = nameAndCPU(statPath: "/proc/\(pid)/task/\(tid)/stat")
            else {
                continue
            }
            result[name + "/" + tid] = cpu
        }
        return result
    }

    /// `(busy, steal, total)` CPU time of all cores in µs from the first line of `/proc/stat` (user nice system
    /// idle iowait irq softirq steal): busy is all but idle, iowait and steal.
    static func machineCPU() -> (Double, Double, Double)? {
        guard let text = read("/proc/stat"), let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else {
            return nil
        }
        let values = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard values.count >= 5 else { return nil }
        let total = values.reduce(0, +)
        let steal = values.count >= 8 ? values[7] : 0
        let notBusy = values[3] + values[4] + steal
        return ((total - notBusy) * microsPerTick, steal * microsPerTick, total * microsPerTick)
    }
}
