import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// `args_buffer`: once a module registers a buffer, later calls whose arguments fit find them
/// there, with bit 31 of `args_len` set; otherwise (too large, never registered, a new instance
/// after a trap) the module reads them with `reducer_args` as before.
@Suite struct ArgsBufferTests {
    /// `echo(v: u32)` notes whether bit 31 was set and the argument it got, then registers 200..<200+capacity.
    func harness(capacity: Int) throws -> Harness {
        var f = Fixture()
        f.reducer(
            "echo", params: [ColumnItem("v", .u32)],
            """
            (call $note (i64.extend_i32_u (i32.shr_u (local.get 7) (i32.const 31))))
            (call $note (i64.extend_i32_u (i32.and (local.get 7) (i32.const 0x7fffffff))))
            (if (i32.eqz (i32.shr_u (local.get 7) (i32.const 31)))
              (then (drop (call $reducer_args (i32.const 200)))))
            (call $note (i64.extend_i32_u (i32.load (i32.const 200))))
            (i32.store (i32.const 200) (i32.const 0))
            (if (call $args_buffer (i32.const 200) (i32.const \(capacity))) (then unreachable))
            (i32.const 0)
            """)
        f.reducer("trap", "unreachable")
        return try Harness(f)
    }

    @Test func registeredBufferReceivesTheArguments() throws {
        let h = try harness(capacity: 64)
        for v in [UInt32(7), 8, 9] { #expect(try h.run("echo", [.u32(v)]) == .success) }
        // flag, length, value per call: the first call reads them itself, the later ones find them.
        #expect(try h.notes() == [0, 4, 7, 1, 4, 8, 1, 4, 9])
    }

    @Test func argumentsThatDoNotFitAreReadAsBefore() throws {
        let h = try harness(capacity: 2)
        for v in [UInt32(7), 8] { #expect(try h.run("echo", [.u32(v)]) == .success) }
        #expect(try h.notes() == [0, 4, 7, 0, 4, 8])
    }

    @Test func aNewInstanceAfterATrapStartsUnregistered() throws {
        let h = try harness(capacity: 64)
        #expect(try h.run("echo", [.u32(1)]) == .success)
        guard case .trapped = try h.run("trap") else {
            Issue.record("the trap reducer should trap")
            return
        }
        #expect(try h.run("echo", [.u32(2)]) == .success)
        #expect(try h.run("echo", [.u32(3)]) == .success)
        #expect(try h.notes() == [0, 4, 1, 0, 4, 2, 1, 4, 3])
    }

    @Test func aBufferOutsideMemoryTraps() throws {
        var f = Fixture()
        f.reducer("bad", "(drop (call $args_buffer (i32.const 65000) (i32.const 1000))) (i32.const 0)")
        let h = try Harness(f)
        guard case .trapped(let message) = try h.run("bad") else {
            Issue.record("registering memory the module does not have should trap")
            return
        }
        #expect(message.contains("args_buffer"), "\(message)")
    }
}
