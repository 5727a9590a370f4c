#if canImport(Glibc)
import Glibc
#endif

/// A `starling start` child process on a free port with a temporary data directory (`--spawn`).
///
/// Its stdout and stderr go to files in the data directory's parent; the URL is taken from the
/// `listening on http://HOST:PORT` line. ``stop()`` sends SIGTERM (SIGKILL after 15 s) and removes the directory.
final class ServerProcess {
    let pid: pid_t
    let url: String
    let workDir: String

    private init(pid: pid_t, url: String, workDir: String) {
        self.pid = pid
        self.url = url
        self.workDir = workDir
    }

    /// The spawned server's pid for the signal handler (0: none). Written once before the handler is installed.
    nonisolated(unsafe) private static var childPID: pid_t = 0

    /// On SIGINT or SIGTERM, stops the spawned server too (its work directory is left in /tmp), then exits 130.
    private static func stopChildOnInterrupt(_ pid: pid_t) {
        childPID = pid
        let handler: @convention(c) (Int32) -> Void = { _ in
            if ServerProcess.childPID > 0 { kill(ServerProcess.childPID, SIGTERM) }
            _exit(130)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Starts `path start --listen-addr 127.0.0.1:0 --data-dir DIR [--fsync MODE] [--in-memory]` and waits
    /// (up to 60 s) until it prints its address.
    static func spawn(path: String, fsync: String?, inMemory: Bool) throws(LoadGenError) -> ServerProcess {
        var template = Array("/tmp/starling-loadgen-XXXXXX".utf8CString)
        guard
            let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else {
            throw LoadGenError("cannot create a temporary directory under /tmp: errno \(errno)")
        }
        var arguments = [path, "start", "--listen-addr", "127.0.0.1:0", "--data-dir", dir + "/data"]
        if let fsync { arguments += ["--fsync", fsync] }
        if inMemory { arguments.append("--in-memory") }
        let pid: pid_t
        do {
            pid = try Self.launch(arguments, stdout: dir + "/server.out", stderr: dir + "/server.err")
        } catch {
            Self.removeTree(dir)
            throw error
        }
        stopChildOnInterrupt(pid)
        let deadline = monotonicNanos() + 60_000_000_000
        while monotonicNanos() < deadline {
            if let text = ProcFS.read(dir + "/server.out"), let range = text.firstRange(of: "listening on ") {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") {
                    return ServerProcess(pid: pid, url: String(rest[..<end]), workDir: dir)
                }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log = ProcFS.read(dir + "/server.err") ?? ""
                throw LoadGenError("the server exited (status \(status)) before listening:\n\(log.suffix(2000))")
            }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        throw LoadGenError("the server did not print `listening on` within 60 s (see \(dir)/server.err)")
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after 15 s); removes the work directory on a clean
    /// exit. Returns the wait status description.
    @discardableResult
    func stop() -> String {
        kill(pid, SIGTERM)
        let deadline = monotonicNanos() + 15_000_000_000
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) != pid {
            if monotonicNanos() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return "killed after 15 s without exiting on SIGTERM (logs kept in \(workDir))"
            }
            usleep(10_000)
        }
        let exitedNormally = (status & 0x7F) == 0
        let code = (status >> 8) & 0xFF
        guard exitedNormally && code == 0 else {
            return "exited with wait status \(status) (logs kept in \(workDir))"
        }
        Self.removeTree(workDir)
        return "exited 0"
    }

    private static func launch(_ arguments: [String], stdout: String, stderr: String) throws(LoadGenError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard rc == 0 else {
            throw LoadGenError(
                "cannot start `\(arguments[0])`: \(String(cString: strerror(rc))) (check the --spawn path)"
            )
        }
        return pid
    }

    /// `rm -rf path` without following symlinks.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR, let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
