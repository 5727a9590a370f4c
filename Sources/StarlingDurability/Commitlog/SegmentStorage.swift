import Foundation
import Glibc
import StarlingTypes
import Synchronization

/// Where a commitlog's segments live: a directory of files, or memory for tests.
///
/// Segments are named by the offset of their first record (`start`). Every method may be called
/// from any thread; an appender is used by one thread at a time.
public protocol SegmentStorage: AnyObject, Sendable {
    /// The start offsets of the existing segments, ascending.
    func listSegments() throws(CommitlogError) -> [UInt64]
    /// Creates the segment `start` holding just the 16-byte segment header, makes the header and
    /// the new directory entry durable, and returns an appender positioned after the header.
    func createSegment(start: UInt64) throws(CommitlogError) -> any SegmentAppender
    /// Opens the existing segment `start` for appending at its end.
    func openForAppend(start: UInt64) throws(CommitlogError) -> any SegmentAppender
    /// The whole content of segment `start`.
    func readSegment(start: UInt64) throws(CommitlogError) -> [UInt8]
    /// Calls `body` with the whole content of segment `start`, valid only during the call (file
    /// storage maps the file rather than copying it). Rethrows what `body` throws.
    func withSegmentBytes<R>(start: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// The size in bytes of segment `start`.
    func segmentSize(start: UInt64) throws(CommitlogError) -> Int
    /// Cuts segment `start` down to `length` bytes and makes that durable.
    func truncateSegment(start: UInt64, length: Int) throws(CommitlogError)
    /// Deletes segment `start` and makes the removal durable.
    func removeSegment(start: UInt64) throws(CommitlogError)
    /// Makes the directory's entries (created or removed segments) durable.
    func syncDirectory() throws(CommitlogError)
}

/// An open segment being appended to. Used by one thread at a time.
public protocol SegmentAppender: AnyObject {
    /// The segment's size in bytes (header included), counting bytes appended so far.
    var size: Int { get }
    /// Appends `bytes` at the end of the segment (not yet durable).
    func append(_ bytes: UnsafeRawBufferPointer) throws(CommitlogError)
    /// Makes everything appended so far durable (fsync).
    func sync() throws(CommitlogError)
    /// Releases the segment. Further calls are invalid.
    func close() throws(CommitlogError)
}

extension SegmentStorage {
    /// Copies the segment (``readSegment(start:)``) and passes the copy.
    public func withSegmentBytes<R>(start: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try readSegment(start: start).withUnsafeBytes(body)
    }

    /// The length of ``readSegment(start:)``.
    public func segmentSize(start: UInt64) throws(CommitlogError) -> Int { try readSegment(start: start).count }

    /// The file name of segment `start` (`00000000000000000000.stlog`), for messages.
    public func segmentName(_ start: UInt64) -> String { CommitlogFormat.segmentName(start) }
}

// MARK: - Files

/// Segments as files `<20-digit start offset>.stlog` in one directory, written with POSIX calls.
public final class FileSegmentStorage: SegmentStorage {
    /// The directory holding the segment files.
    public let directory: String

    /// Uses `directory`, creating it (and missing parents) if needed.
    public init(directory: String) throws(CommitlogError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommitlogError(.io, "cannot create the log directory \(directory): \(error)")
        }
    }

    /// The path of segment `start`.
    public func path(_ start: UInt64) -> String { directory + "/" + CommitlogFormat.segmentName(start) }

    public func listSegments() throws(CommitlogError) -> [UInt64] {
        guard let dir = opendir(directory) else { throw Self.posixError("opendir", directory) }
        defer { closedir(dir) }
        var starts: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let start = CommitlogFormat.parseSegmentName(name) { starts.append(start) }
        }
        return starts.sorted()
    }

    public func createSegment(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        let p = path(start)
        let fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw Self.posixError("create", p) }
        let appender = FileSegmentAppender(fd: fd, path: p, size: 0)
        do {
            try CommitlogFormat.segmentHeader.withBytes { (b) throws(CommitlogError) in try appender.append(b) }
            try appender.sync()
            try syncDirectory()
        } catch {
            try? appender.close()
            throw error
        }
        return appender
    }

    public func openForAppend(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        let p = path(start)
        let fd = open(p, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw Self.posixError("open", p) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = Self.posixError("fstat", p)
            close(fd)
            throw e
        }
        return FileSegmentAppender(fd: fd, path: p, size: Int(st.st_size))
    }

    /// Opens segment `start` for reading: its descriptor (the caller closes it), size and path.
    private func openForReading(_ start: UInt64) throws(CommitlogError) -> (fd: Int32, size: Int, path: String) {
        let p = path(start)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.posixError("open", p) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = Self.posixError("fstat", p)
            close(fd)
            throw e
        }
        return (fd, Int(st.st_size), p)
    }

    public func readSegment(start: UInt64) throws(CommitlogError) -> [UInt8] {
        let (fd, size, p) = try openForReading(start)
        defer { close(fd) }
        var done = 0
        var failure: CommitlogError?
        // Uninitialized: the kernel fills it (no zeroing pass over a segment of up to 256 MiB).
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while done < size {
                let n = pread(fd, buf.baseAddress! + done, size - done, off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = Self.posixError("read", p)
                    break
                }
                if n == 0 { break }  // shrank while reading
                done += n
            }
            count = done
        }
        if let failure { throw failure }
        return bytes
    }

    public func segmentSize(start: UInt64) throws(CommitlogError) -> Int {
        let p = path(start)
        var st = stat()
        if stat(p, &st) != 0 { throw Self.posixError("stat", p) }
        return Int(st.st_size)
    }

    /// Maps the segment read-only (pages populated up front) instead of copying it into memory;
    /// falls back to ``readSegment(start:)`` where the file cannot be mapped. Nothing may
    /// truncate the file while `body` runs (recovery holds the log exclusively).
    public func withSegmentBytes<R>(start: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (fd, size, _) = try openForReading(start)
        defer { close(fd) }
        guard size > 0, let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED
        else { return try readSegment(start: start).withUnsafeBytes(body) }
        defer { munmap(base, size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size))
    }

    public func truncateSegment(start: UInt64, length: Int) throws(CommitlogError) {
        let p = path(start)
        let fd = open(p, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw Self.posixError("open", p) }
        defer { close(fd) }
        if ftruncate(fd, off_t(length)) != 0 { throw Self.posixError("ftruncate", p) }
        if fsync(fd) != 0 { throw Self.posixError("fsync", p) }
    }

    public func removeSegment(start: UInt64) throws(CommitlogError) {
        let p = path(start)
        if unlink(p) != 0 { throw Self.posixError("unlink", p) }
        try syncDirectory()
    }

    public func syncDirectory() throws(CommitlogError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw Self.posixError("open", directory) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw Self.posixError("fsync", directory) }
    }

    /// An I/O error for the failed call `op` on `path`, with `errno`'s text.
    static func posixError(_ op: String, _ path: String) -> CommitlogError {
        let code = errno
        return CommitlogError(.io, "\(op) \(path) failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}

/// An open segment file; writes with `pwrite` at the tracked end.
final class FileSegmentAppender: SegmentAppender {
    private var fd: Int32
    private let path: String
    private(set) var size: Int

    init(fd: Int32, path: String, size: Int) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func append(_ bytes: UnsafeRawBufferPointer) throws(CommitlogError) {
        guard fd >= 0 else { throw CommitlogError(.closed, "segment \(path) is closed") }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(size + done))
            if n < 0 {
                if errno == EINTR { continue }
                let e = FileSegmentStorage.posixError("write", path)
                // Best effort: do not leave a partial record behind a later successful append.
                _ = ftruncate(fd, off_t(size))
                throw e
            }
            done += n
        }
        size += done
    }

    func sync() throws(CommitlogError) {
        guard fd >= 0 else { throw CommitlogError(.closed, "segment \(path) is closed") }
        if fsync(fd) != 0 { throw FileSegmentStorage.posixError("fsync", path) }
    }

    func close() throws(CommitlogError) {
        guard fd >= 0 else { return }
        let r = Glibc.close(fd)
        fd = -1
        if r != 0 { throw FileSegmentStorage.posixError("close", path) }
    }
}

// MARK: - Memory

/// Segments in memory, for tests. Thread-safe. Tracks which bytes were synced so a test can
/// simulate a crash (`crash()`), can fail I/O on demand, and lets tests read and damage bytes.
public final class MemorySegmentStorage: SegmentStorage {
    struct Segment {
        var bytes: [UInt8]
        /// Bytes known durable (synced).
        var synced: Int
    }

    struct State {
        var segments: [UInt64: Segment] = [:]
        var failure: CommitlogError?
    }

    let state = Mutex(State())

    /// An empty storage.
    public init() {}

    /// Makes every later appender call fail with an I/O error (`nil` restores normal operation).
    public func setFailure(_ error: CommitlogError?) { state.withLock { $0.failure = error } }

    /// The bytes of segment `start`, or nil if it does not exist.
    public func bytes(of start: UInt64) -> [UInt8]? { state.withLock { $0.segments[start]?.bytes } }

    /// Replaces the bytes of segment `start` (creating it if missing), all counted as synced.
    public func setBytes(_ bytes: [UInt8], of start: UInt64) {
        state.withLock { $0.segments[start] = Segment(bytes: bytes, synced: bytes.count) }
    }

    /// Forgets everything not synced, as a power loss would (segments never synced keep their
    /// synced prefix, possibly empty).
    public func crash() {
        state.withLock { s in
            for key in s.segments.keys { s.segments[key]!.bytes.removeSubrange(s.segments[key]!.synced...) }
        }
    }

    public func listSegments() throws(CommitlogError) -> [UInt64] { state.withLock { $0.segments.keys.sorted() } }

    public func createSegment(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        try state.withLock { (s) throws(CommitlogError) -> Void in
            if let f = s.failure { throw f }
            if s.segments[start] != nil {
                throw CommitlogError(.io, "segment \(CommitlogFormat.segmentName(start)) already exists")
            }
            let header = CommitlogFormat.segmentHeader
            s.segments[start] = Segment(bytes: header, synced: header.count)
        }
        return MemorySegmentAppender(storage: self, start: start)
    }

    public func openForAppend(start: UInt64) throws(CommitlogError) -> any SegmentAppender {
        try state.withLock { (s) throws(CommitlogError) -> Void in
            if let f = s.failure { throw f }
            if s.segments[start] == nil { throw Self.missing(start) }
        }
        return MemorySegmentAppender(storage: self, start: start)
    }

    public func readSegment(start: UInt64) throws(CommitlogError) -> [UInt8] {
        try state.withLock { (s) throws(CommitlogError) -> [UInt8] in
            guard let seg = s.segments[start] else { throw Self.missing(start) }
            return seg.bytes
        }
    }

    public func truncateSegment(start: UInt64, length: Int) throws(CommitlogError) {
        try state.withLock { (s) throws(CommitlogError) -> Void in
            guard var seg = s.segments[start] else { throw Self.missing(start) }
            if length < seg.bytes.count { seg.bytes.removeSubrange(length...) }
            seg.synced = seg.bytes.count
            s.segments[start] = seg
        }
    }

    public func removeSegment(start: UInt64) throws(CommitlogError) {
        try state.withLock { (s) throws(CommitlogError) -> Void in
            if s.segments.removeValue(forKey: start) == nil { throw Self.missing(start) }
        }
    }

    public func syncDirectory() throws(CommitlogError) {}

    static func missing(_ start: UInt64) -> CommitlogError {
        CommitlogError(.io, "segment \(CommitlogFormat.segmentName(start)) does not exist")
    }
}

/// An appender into a `MemorySegmentStorage` segment.
final class MemorySegmentAppender: SegmentAppender {
    let storage: MemorySegmentStorage
    let start: UInt64

    init(storage: MemorySegmentStorage, start: UInt64) {
        self.storage = storage
        self.start = start
    }

    var size: Int { storage.state.withLock { $0.segments[start]?.bytes.count ?? 0 } }

    func append(_ bytes: UnsafeRawBufferPointer) throws(CommitlogError) {
        try storage.state.withLock { (s) throws(CommitlogError) -> Void in
            if let f = s.failure { throw f }
            guard s.segments[start] != nil else { throw MemorySegmentStorage.missing(start) }
            s.segments[start]!.bytes.append(contentsOf: bytes)
        }
    }

    func sync() throws(CommitlogError) {
        try storage.state.withLock { (s) throws(CommitlogError) -> Void in
            if let f = s.failure { throw f }
            guard let seg = s.segments[start] else { throw MemorySegmentStorage.missing(start) }
            s.segments[start]!.synced = seg.bytes.count
        }
    }

    func close() throws(CommitlogError) {}
}
