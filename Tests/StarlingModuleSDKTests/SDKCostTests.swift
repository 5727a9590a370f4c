import StarlingModuleHost
import StarlingTypes
import Testing

/// The SDK's per-operation cost in fuel (≈ wasm instructions executed): deterministic, so a
/// regression in the generated code or the SDK shows up here rather than as a noisy benchmark.
/// Ceilings are the figures measured when written plus ~15%; lower them as the SDK gets faster.
@Suite struct SDKCostTests {
    @Test func operationsStayWithinTheirFuelCeilings() throws {
        let m = try LoadedModule("Tests/StarlingModuleSDKTests/Fixtures/sdk-costs")
        #expect(try m.call("seed") == .success)
        let cases: [(reducer: String, args: [any BSATNCodable], ceiling: UInt64)] = [
            ("empty", [], 210),  // measured 180: context, dispatch, return
            ("args3", [UInt64(1), UInt64(2), Int64(3)], 410),  // 353 (923 before error messages moved out of line)
            ("args1", [UInt64(1)], 300),  // 261
            ("raw3", [UInt64(1), UInt64(2), Int64(3)], 330),  // 282: the same three reads without the SDK's argument helper
            ("find_one", [UInt64(1)], 730),  // 628: key stored on the stack, one host call, fixed-size row load
            ("encode_only", [], 2_000),  // 1,746: a 48-byte row into a fresh writer, copied out
            ("update_one", [UInt64(1)], 560),  // 484: fixed-size row stored on the stack + host call
        ]
        for c in cases {
            _ = try m.call(c.reducer, c.args)  // warm: ids resolved and cached, scratch buffers grown
            let outcome = try m.call(c.reducer, c.args)
            #expect(outcome == .success, "\(c.reducer): \(outcome)")
            let fuel = m.host.lastCallFuel
            print("SDK cost \(c.reducer): \(fuel) fuel")
            #expect(fuel <= c.ceiling, "\(c.reducer) used \(fuel) fuel; ceiling \(c.ceiling)")
            #expect(fuel > 0)
        }
    }

    /// Error messages and log lines are written as bytes (`MessageText`), not built as `String`s:
    /// an interpolated integer cost ~4,000 fuel through the standard library's `description`.
    @Test func errorMessagesAndLogLinesAreCheap() throws {
        let m = try LoadedModule("Tests/StarlingModuleSDKTests/Fixtures/sdk-costs")
        let cases: [(reducer: String, args: [any BSATNCodable], outcome: ReducerOutcome, ceiling: UInt64)] = [
            ("fail_plain", [], .failed("insufficient funds"), 260),  // measured 214 (474 as a String)
            ("fail_one_int", [Int64(-1_234_567)], .failed("got -1234567"), 1_800),  // 1,588 (4,427)
            (
                "fail_three_ints", [UInt64(42), Int64(0), Int64(1)], .failed("insufficient funds: account 42 holds 0, needs 1"),
                2_350  // 2,063 (15,549)
            ),
            ("log_one_int", [UInt64(100_000)], .success, 1_850),  // 1,624 (7,472)
        ]
        for c in cases {
            _ = try m.call(c.reducer, c.args)
            #expect(try m.call(c.reducer, c.args) == c.outcome)
            let fuel = m.host.lastCallFuel
            print("SDK cost \(c.reducer): \(fuel) fuel")
            #expect(fuel <= c.ceiling, "\(c.reducer) used \(fuel) fuel; ceiling \(c.ceiling)")
        }
        #expect(m.messages.last == "opened 100000 accounts")
        // Every kind of value an interpolation takes, and text that is not ASCII.
        let mixed = try m.call("fail_mixed", [Int8(-128), UInt16(65_535), true, "naïve"])
        #expect(mixed == .failed("-128|65535|true|naïve|-9223372036854775808|18446744073709551615|0|é"))
    }
}
