extension AlgebraicType: CustomStringConvertible {
    /// A readable rendering: `u64`, `string`, `array<u8>`, `option<string>`,
    /// `(x: f32, y: f32)` for products, `{a | b: u8}` for sums; used in error messages and in
    /// the `st_column` system table.
    public var description: String {
        switch self {
        case .bool: "bool"
        case .i8: "i8"
        case .u8: "u8"
        case .i16: "i16"
        case .u16: "u16"
        case .i32: "i32"
        case .u32: "u32"
        case .i64: "i64"
        case .u64: "u64"
        case .i128: "i128"
        case .u128: "u128"
        case .f32: "f32"
        case .f64: "f64"
        case .string: "string"
        case .bytes: "bytes"
        case .identity: "identity"
        case .connectionId: "connection_id"
        case .timestamp: "timestamp"
        case .timeDuration: "time_duration"
        case .scheduleAt: "schedule_at"
        case .array(let t): "array<\(t)>"
        case .option(let t): "option<\(t)>"
        case .product(let p):
            "(" + p.fields.enumerated().map { i, f in "\(f.name ?? String(i)): \(f.type)" }.joined(separator: ", ") + ")"
        case .sum(let s):
            "{" + s.variants.enumerated().map { i, v in
                let name = v.name ?? String(i)
                return v.type == .unit ? name : "\(name): \(v.type)"
            }.joined(separator: " | ") + "}"
        }
    }
}
