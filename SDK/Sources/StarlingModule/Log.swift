/// Module logging: lines go to the database's module log (`starling logs NAME`).
public enum Log {
    /// Severity, most severe first (the ABI's level numbers).
    public enum Level: UInt32, Sendable {
        case error = 0, warn = 1, info = 2, debug = 3, trace = 4
    }

    // Messages are ``MessageText``: `Log.info("opened \(n) accounts")` is written without building
    // a `String`. The `String` overloads take a message already made.
    public static func error(_ message: MessageText, file: StaticString = #fileID, line: UInt = #line) {
        write(.error, message.utf8, file, line)
    }
    public static func warn(_ message: MessageText, file: StaticString = #fileID, line: UInt = #line) {
        write(.warn, message.utf8, file, line)
    }
    public static func info(_ message: MessageText, file: StaticString = #fileID, line: UInt = #line) {
        write(.info, message.utf8, file, line)
    }
    public static func debug(_ message: MessageText, file: StaticString = #fileID, line: UInt = #line) {
        write(.debug, message.utf8, file, line)
    }
    public static func trace(_ message: MessageText, file: StaticString = #fileID, line: UInt = #line) {
        write(.trace, message.utf8, file, line)
    }
    @_disfavoredOverload
    public static func error(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        write(.error, message, file, line)
    }
    @_disfavoredOverload
    public static func warn(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        write(.warn, message, file, line)
    }
    @_disfavoredOverload
    public static func info(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        write(.info, message, file, line)
    }
    @_disfavoredOverload
    public static func debug(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        write(.debug, message, file, line)
    }
    @_disfavoredOverload
    public static func trace(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        write(.trace, message, file, line)
    }

    /// Writes one log line at `level`.
    public static func write(_ level: Level, _ message: String, _ file: StaticString, _ line: UInt) {
        withUTF8(message) { emit(level, $0, $1, file, line) }
    }

    /// Writes one log line at `level` from the message's UTF-8 bytes.
    public static func write(_ level: Level, _ utf8: [UInt8], _ file: StaticString, _ line: UInt) {
        utf8.withUnsafeBufferPointer { emit(level, $0.baseAddress, UInt32($0.count), file, line) }
    }

    private static func emit(_ level: Level, _ msg: UnsafePointer<UInt8>?, _ count: UInt32, _ file: StaticString, _ line: UInt) {
        _log(level.rawValue, file.utf8Start, UInt32(file.utf8CodeUnitCount), UInt32(truncatingIfNeeded: line), msg, count)
    }

    /// Runs `body` and logs how long it took (host clock) under `name`.
    public static func time<R>(_ name: String, _ body: () throws(ReducerError) -> R) throws(ReducerError) -> R {
        let timer = withUTF8(name) { _timerStart($0, $1) }
        defer { _ = _timerEnd(timer) }
        return try body()
    }
}
