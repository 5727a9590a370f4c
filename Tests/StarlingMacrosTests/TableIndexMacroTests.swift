import StarlingMacros
import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacros
import SwiftSyntaxMacrosTestSupport
import XCTest

/// `@Table(indexes:)` (declared, usually multi-column indexes) and column defaults (stored
/// properties' initial values): what the expansion contains, and the mistakes it reports.
final class TableIndexMacroTests: XCTestCase {
    let macros: [String: any Macro.Type] = ["Table": TableMacro.self, "PrimaryKey": ColumnMarkerMacro.self]

    /// The describer and the extension `@Table` generates for `source` (one attributed struct).
    func expand(_ source: DeclSyntax) throws -> (describer: String, extension: String) {
        let decl = try XCTUnwrap(source.as(StructDeclSyntax.self))
        let attribute = try XCTUnwrap(decl.attributes.first?.as(AttributeSyntax.self))
        let context = BasicMacroExpansionContext()
        let peers = try TableMacro.expansion(of: attribute, providingPeersOf: decl, in: context)
        let extensions = try TableMacro.expansion(
            of: attribute, attachedTo: decl, providingExtensionsOf: TypeSyntax(stringLiteral: decl.name.text), conformingTo: [],
            in: context)
        return (peers.map(\.description).joined(), extensions.map(\.description).joined())
    }

    func squeeze(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    func testDeclaredIndexesAreDescribedAndGetTypedAccessors() throws {
        let (describer, ext) = try expand(
            """
            @Table(indexes: [.btree("byOwnerAndSent", columns: ["owner", "sentAt"]), .btree("bySlot", columns: ["room", "slot"], unique: true), .hash("byRoom", columns: ["room"])])
            struct Message {
                @PrimaryKey var id: UInt64
                var owner: UInt32
                var sentAt: Int64
                var room: String
                var slot: UInt8
            }
            """)
        let d = squeeze(describer)
        XCTAssertTrue(
            d.contains(
                #"IndexItem(name: "message_by_owner_and_sent", algorithm: .btree, columns: [1, 2], isUnique: false), IndexItem(name: "message_by_slot", algorithm: .btree, columns: [3, 4], isUnique: true), IndexItem(name: "message_by_room", algorithm: .hash, columns: [3], isUnique: false)], unique: [[3, 4]]"#
            ), d)
        let e = squeeze(ext)
        for expected in [
            #"var byOwnerAndSent: ByOwnerAndSentIndex {"#,
            #"__starlingIndexID("message_by_owner_and_sent")"#,
            "struct ByOwnerAndSentIndex { let __index: CompositeIndex<Message>",
            "func filter(owner: UInt32) -> RowIterator<Message> { __index.scan { owner.encode(to: &$0) } }",
            "func filter(owner: UInt32, sentAt: Int64) -> RowIterator<Message> { __index.scan { owner.encode(to: &$0); sentAt.encode(to: &$0) } }",
            "func filter<KeyRange: IndexRange<UInt32>>(owner: KeyRange) -> RowIterator<Message> { __index.scan({ _ in }, owner) }",
            "func filter<KeyRange: IndexRange<Int64>>(owner: UInt32, sentAt: KeyRange) -> RowIterator<Message> { __index.scan({ owner.encode(to: &$0) }, sentAt) }",
            "@discardableResult func delete(owner: UInt32, sentAt: Int64) -> UInt32",
            "@discardableResult func delete<KeyRange: IndexRange<UInt32>>(owner: KeyRange) -> UInt32 { __index.delete({ _ in }, owner) }",
            "func find(room: String, slot: UInt8) -> Message? { __index.find { room.encode(to: &$0); slot.encode(to: &$0) } }",
            "@discardableResult func delete(room: String, slot: UInt8) -> Bool",
            "@discardableResult func update(_ row: Message) throws(ReducerError) -> Message { try __index.update(row) }",
            "struct ByRoomIndex { let __index: CompositeIndex<Message> func filter(room: String) -> RowIterator<Message> { __index.scan { room.encode(to: &$0) } } @discardableResult func delete(room: String) -> UInt32 { __index.delete { room.encode(to: &$0) } } }",
        ] {
            XCTAssertTrue(e.contains(expected), "missing: \(expected)\n\(e)")
        }
    }

    func testInitialValuesAreColumnDefaults() throws {
        let (describer, ext) = try expand(
            """
            @Table
            struct Player {
                @PrimaryKey var id: UInt64
                var level: UInt32 = 1
                var title: String = Self.defaultTitle
                var badge: String?
                static let defaultTitle = "rookie"
            }
            """)
        let d = squeeze(describer)
        XCTAssertTrue(
            d.contains(#"__starlingDescribe(.columnDefault(ColumnDefaultItem(table: "player", column: 1, value: Player.__starling_default_level.bsatn)))"#), d)
        XCTAssertTrue(
            d.contains(#"__starlingDescribe(.columnDefault(ColumnDefaultItem(table: "player", column: 2, value: Player.__starling_default_title.bsatn)))"#), d)
        XCTAssertFalse(d.contains("default_badge"), d)
        let e = squeeze(ext)
        XCTAssertTrue(e.contains("static var __starling_default_level: UInt32 { 1 }"), e)
        XCTAssertTrue(e.contains("static var __starling_default_title: String { Self.defaultTitle }"), e)
    }

    /// A mistake in `@Table` is reported by both of its roles (extension and describer).
    func assertTableError(_ source: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let stripped = source.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        let body = stripped.map { $0.replacingOccurrences(of: "@PrimaryKey ", with: "") }.joined(separator: "\n")
        assertMacroExpansion(
            source, expandedSource: body,
            diagnostics: [
                DiagnosticSpec(message: message, line: 1, column: 1), DiagnosticSpec(message: message, line: 1, column: 1),
            ],
            macros: macros, file: file, line: line)
    }

    func testBadIndexDeclarationsAreReported() {
        let body = "struct M {\n    var owner: UInt32\n    var sentAt: Int64\n}"
        assertTableError(
            "@Table(indexes: [.btree(\"byOwner\", columns: [\"ownr\"])])\n" + body,
            "`ownr` is not a stored property of `M`; its properties are `owner`, `sentAt`")
        assertTableError(
            "@Table(indexes: [.btree(\"bySent\", columns: [\"sent_at\"])])\n" + body,
            "`sent_at` is not a stored property of `M`; did you mean `sentAt`? (columns are named by their Swift property)")
        assertTableError(
            "@Table(indexes: [.btree(\"byOwner\", columns: [\"owner\", \"owner\"])])\n" + body,
            "column `owner` appears twice in the index")
        assertTableError(
            "@Table(indexes: [.btree(\"byOwner\", columns: [])])\n" + body, "`columns:` must be a non-empty array of property names")
        assertTableError(
            "@Table(indexes: [.btree(\"a\", columns: [\"owner\"]), .btree(\"a\", columns: [\"sentAt\"])])\n" + body,
            "index name `a` is already used by index `a`; choose another name")
        assertTableError(
            "@Table(indexes: [.btree(\"a\", columns: [\"owner\", \"sentAt\"]), .btree(\"b\", columns: [\"owner\", \"sentAt\"])])\n" + body,
            "indexes `a` and `b` have the same columns and algorithm; declare it once")
        assertTableError(
            "@Table(indexes: [.btree(\"count\", columns: [\"owner\"])])\n" + body,
            "index name `count` is already used by the table handle's `count`; choose another name")
        assertTableError(
            "@Table(indexes: [.btree(\"by-owner\", columns: [\"owner\"])])\n" + body,
            "index name `by-owner` must be a Swift identifier: it names the accessor `ctx.db[M.self].by-owner`")
        assertTableError(
            "@Table(indexes: [.hash(\"byOwner\", columns: [\"owner\"], unique: true)])\n" + body,
            "each index is `.btree(\"name\", columns: [\"property\", ...])`, `.btree(..., unique: true)` or `.hash(\"name\", columns: [...])`")
        assertTableError(
            "@Table(indexes: [.btree(\"byOwner\", columns: [\"owner\"])])\nstruct M {\n    @PrimaryKey var owner: UInt32\n}",
            "index `byOwner` has the same columns as the primary key `owner`; use that property's accessor instead")
        assertTableError(
            "@Table(indexes: [\"owner\"])\n" + body,
            "each index is `.btree(\"name\", columns: [\"property\", ...])`, `.btree(..., unique: true)` or `.hash(\"name\", columns: [...])`")
    }

    func testDefaultsOfTheWrongTypeAreReported() {
        assertTableError(
            "@Table\nstruct P {\n    var level: UInt32 = \"one\"\n}",
            "the default value of column `level` is a string literal, but the column has type UInt32; write a value of that type")
        assertTableError(
            "@Table\nstruct P {\n    var level: UInt32 = -1\n}",
            "the default value of column `level` is a negative number, but the column has type UInt32; write a value of that type")
        assertTableError(
            "@Table\nstruct P {\n    var ratio: Int64 = 0.5\n}",
            "the default value of column `ratio` is a floating-point literal, but the column has type Int64; write a value of that type")
        assertTableError(
            "@Table\nstruct P {\n    var name: String = nil\n}",
            "the default value of column `name` is `nil`, but the column has type String; write a value of that type")
        assertTableError(
            "@Table\nstruct P {\n    var flag: Bool? = 1\n}",
            "the default value of column `flag` is an integer literal, but the column has type Bool?; write a value of that type")
        assertTableError(
            "@Table\nstruct P {\n    let kind: UInt8 = 3\n}",
            "`let kind` has a fixed value, so it cannot be a column read back from the database; declare it with `var` (its initial value is then the column's default)")
    }
}
