import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// The example modules (`Examples/`), built with the SDK and driven through the host.
@Suite struct ExampleModuleTests {
    @Test func bankOpensAccountsAndTransfers() throws {
        let bank = try LoadedModule("Examples/bank")
        #expect(bank.host.schema.tables.map(\.name) == ["account"])
        #expect(bank.host.schema.reducers.map(\.name).sorted() == ["open_accounts", "transfer"])
        #expect(try bank.call("open_accounts", [UInt64(5), Int64(100)]) == .success)
        #expect(try bank.rows("account").count == 5)
        #expect(try bank.call("open_accounts", [UInt64(7), Int64(50)]) == .success)  // adds ids 5 and 6 only
        var balances = try bank.rows("account").map { $0.product![2].i64! }
        #expect(balances.sorted() == [50, 50, 100, 100, 100, 100, 100])

        #expect(try bank.call("transfer", [UInt64(0), UInt64(1), Int64(30)]) == .success)
        let insufficient = try bank.call("transfer", [UInt64(0), UInt64(1), Int64(71)])
        #expect(insufficient.message?.contains("insufficient funds") == true)
        let unknown = try bank.call("transfer", [UInt64(0), UInt64(99), Int64(1)])
        #expect(unknown.message?.contains("no such account") == true)
        #expect(try bank.call("transfer", [UInt64(2), UInt64(2), Int64(10)]) == .success)
        balances = try bank.rows("account").sorted { $0.product![0].u64! < $1.product![0].u64! }.map { $0.product![2].i64! }
        #expect(balances == [70, 130, 100, 100, 100, 50, 50])
        #expect(bank.messages.contains("opened 5 accounts"))
    }

    @Test func bankRejectsBadArguments() throws {
        let bank = try LoadedModule("Examples/bank")
        let outcome = try bank.call("transfer", [UInt64(0), UInt64(1)])
        #expect(outcome.message?.contains("do not match its parameters") == true)
    }

    @Test func chatTracksUsersAndMessages() throws {
        let chat = try LoadedModule("Examples/quickstart-chat")
        #expect(chat.host.schema.reducer(for: .clientConnected)?.name == "client_connected")
        #expect(chat.host.schema.reducer(for: .clientDisconnected)?.name == "client_disconnected")
        let ann = Identity(limbs: (7, 0, 0, 0))
        #expect(try chat.call("client_connected", sender: ann, connection: 42) == .success)
        var users = try chat.rows("user")
        #expect(users == [.product([.identity(ann), .option(nil), .bool(true)])])

        #expect(try chat.call("set_name", ["Ann"], sender: ann) == .success)
        #expect(try chat.call("set_name", ["  "], sender: ann).message == "names must not be empty")
        #expect(try chat.call("send_message", [""], sender: ann).message == "messages must not be empty")
        #expect(try chat.call("send_message", ["héllo 👋"], sender: ann) == .success)
        let messages = try chat.rows("message")
        #expect(messages.count == 1)
        #expect(messages.first?.product?[2] == .string("héllo 👋"))

        #expect(try chat.call("client_disconnected", sender: ann) == .success)
        users = try chat.rows("user")
        #expect(users == [.product([.identity(ann), .option(.string("Ann")), .bool(false)])])
        #expect(try chat.call("client_connected", sender: ann) == .success)
        #expect(try chat.rows("user").first?.product?[2] == .bool(true))
    }
}
