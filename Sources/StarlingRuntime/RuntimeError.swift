import StarlingDatabase
import StarlingModuleHost
import StarlingStore

/// Why publishing, opening or updating a database with its module failed.
public struct RuntimeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, stable across versions.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// The module could not be loaded (invalid wasm, bad imports, invalid schema).
        public static let invalidModule = Code(rawValue: 300)
        /// The new module's schema cannot replace the old one without clearing the data.
        public static let incompatibleSchema = Code(rawValue: 301)
        /// The `init` reducer failed, so the publish was undone.
        public static let initFailed = Code(rawValue: 302)
        /// The data directory could not be opened or written.
        public static let storage = Code(rawValue: 303)
        /// The data directory holds no module (never published, or damaged).
        public static let noModule = Code(rawValue: 304)
        /// Only the owner may do this.
        public static let notOwner = Code(rawValue: 305)
    }

    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }

    static func storage(_ e: DatabaseError) -> RuntimeError { RuntimeError(.storage, e.message) }
    static func storage(_ e: StoreError) -> RuntimeError { RuntimeError(.storage, e.message) }
    static func module(_ e: ModuleError) -> RuntimeError { RuntimeError(.invalidModule, e.message) }
}
