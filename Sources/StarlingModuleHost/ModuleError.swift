/// Why a module could not be loaded (parsed, linked, instantiated, described or validated).
///
/// Carries a stable ``code`` and a message that names the offending import, export or item.
public struct ModuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. Codes are stable; they may cross the wire (publish responses).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The bytes are not a valid WebAssembly module.
        public static let invalidWasm = Code(rawValue: 200)
        /// An import is not part of `starling_1.0` or has the wrong signature.
        public static let badImport = Code(rawValue: 201)
        /// A required export is missing or has the wrong kind or signature.
        public static let badExport = Code(rawValue: 202)
        /// Instantiation (or `_initialize`) failed: start function trapped, memory over the cap, ...
        public static let instantiationFailed = Code(rawValue: 203)
        /// A describer trapped, ran out of fuel or wrote an invalid item.
        public static let describeFailed = Code(rawValue: 204)
        /// The described schema is invalid (see ``ModuleSchemaError``).
        public static let invalidSchema = Code(rawValue: 205)
        /// A reducer export without a `ReducerItem`, or a `ReducerItem` without its export.
        public static let reducerMismatch = Code(rawValue: 206)
        /// The module log file could not be opened.
        public static let logFile = Code(rawValue: 207)

        public var description: String {
            switch self {
            case .invalidWasm: "invalid_wasm"
            case .badImport: "bad_import"
            case .badExport: "bad_export"
            case .instantiationFailed: "instantiation_failed"
            case .describeFailed: "describe_failed"
            case .invalidSchema: "invalid_schema"
            case .reducerMismatch: "reducer_mismatch"
            case .logFile: "log_file"
            default: "module_error_\(rawValue)"
            }
        }

        public static func ~= (code: Code, error: ModuleError) -> Bool { error.code == code }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
