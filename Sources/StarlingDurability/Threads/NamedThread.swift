import CStarlingSupport
import Foundation

/// Starts threads whose names the kernel knows, so `top -H`, `perf` and `/proc/PID/task/*/comm`
/// (and the load generator's per-thread CPU figures) show them: on Linux, Foundation's
/// `Thread.name` stays inside Foundation.
public enum NamedThread {
    /// Starts a thread named `name` (the kernel keeps its first 15 bytes) running `body`.
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let kernelName = kernelName(name)
        let thread = Thread {
            starling_name_thread(kernelName)
            body()
        }
        thread.name = name
        thread.start()
    }

    /// `name` cut to whole characters within the 15 bytes the kernel keeps.
    private static func kernelName(_ name: String) -> String {
        var out = String.UnicodeScalarView()
        var bytes = 0
        for c in name.unicodeScalars {
            bytes += c.utf8.count
            if bytes > 15 { break }
            out.append(c)
        }
        return String(out)
    }
}
