import StarlingTypes
import Testing

@testable import StarlingStore

// Shared helpers of the datastore suites (the `player` table helpers live in DatastoreSmokeTests.swift).

/// Runs `body`, expects it to throw a `StoreError` with `code`, and returns the error.
@discardableResult
func expectStoreError<R>(
    _ code: StoreError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) -> StoreError? {
    do {
        _ = try body()
        Issue.record("expected \(code), but nothing was thrown. \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        #expect(
            error.code == code, "got \(error.code): \(error.message). \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a StoreError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The BSATN of a row given as column values.
func bsatn(_ values: [AlgebraicValue]) -> [UInt8] { AlgebraicValue.product(values).bsatn }

/// Decodes a row of a table (BSATN) into its column values.
func decodeRow(_ schema: TableSchema, _ bytes: some Collection<UInt8>) -> [AlgebraicValue] {
    guard case .product(let xs) = try! AlgebraicValue.decode(.product(schema.rowType), from: Array(bytes)) else {
        preconditionFailure("row is not a product")
    }
    return xs
}

/// The column values of every row of a table (unordered).
func rowValues(_ tx: some StoreReading, _ table: TableId) throws -> [[AlgebraicValue]] {
    try tx.values(table).map {
        guard case .product(let xs) = $0 else { preconditionFailure("row is not a product") }
        return xs
    }
}

/// A multiset: element → number of occurrences.
func multiset<S: Sequence>(_ xs: S) -> [S.Element: Int] where S.Element: Hashable {
    var m: [S.Element: Int] = [:]
    for x in xs { m[x, default: 0] += 1 }
    return m
}

/// The rows of a `RowList` as arrays.
func rowArrays(_ list: RowList?) -> [[UInt8]] { list.map { $0.arrays } ?? [] }

/// Creates a datastore with one table (committed) and returns both.
func makeStore(_ schema: TableSchema) throws -> (Datastore, TableId) {
    let db = Datastore()
    let (t, _) = try db.write { tx throws(StoreError) in try tx.createTable(schema) }
    return (db, t)
}

/// Inserts rows in one committed transaction.
func insertRows(_ db: Datastore, _ table: TableId, _ rows: [[AlgebraicValue]]) throws {
    _ = try db.write { tx throws(StoreError) in
        for r in rows { try tx.insert(table, values: r) }
    }
}

/// Whether `text` contains `part` (for message checks, with a readable failure).
func expectContains(_ text: String?, _ part: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(text?.contains(part) == true, "`\(text ?? "nil")` should contain `\(part)`", sourceLocation: sourceLocation)
}

extension AlgebraicValue {
    /// The payload of a `.bytes` value (empty otherwise).
    var bytesValue: [UInt8] {
        if case .bytes(let b) = self { return b }
        return []
    }

    /// The payload of a `.string` value.
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
