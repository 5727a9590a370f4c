/// Why a BSATN input could not be decoded. Every decode failure is one of these, never a crash.
public struct BSATNError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, stable across versions (tests and clients may match on it).
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The input ended before the value did.
        public static let unexpectedEnd = Code(rawValue: 1)
        /// A bool byte other than 0 or 1.
        public static let invalidBool = Code(rawValue: 2)
        /// A string that is not valid UTF-8.
        public static let invalidUTF8 = Code(rawValue: 3)
        /// A sum or option tag with no such variant.
        public static let invalidTag = Code(rawValue: 4)
        /// Bytes left over after a complete value.
        public static let trailingBytes = Code(rawValue: 5)
        /// A length that cannot fit the remaining input or the platform.
        public static let lengthTooLarge = Code(rawValue: 6)
        /// A value that does not have the expected type (encoding side).
        public static let typeMismatch = Code(rawValue: 7)

        public static func ~= (code: Code, error: BSATNError) -> Bool { error.code == code }
    }

    public var code: Code
    /// What went wrong, for humans.
    public var message: String
    /// Byte offset in the input where the problem was found.
    public var offset: Int

    public init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String { "BSATN decode error at byte \(offset): \(message)" }
}
