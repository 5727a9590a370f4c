import Foundation
import StarlingModuleHost
import StarlingTypes
import Testing

@Suite struct ModuleLogTests {
    func record(_ i: Int) -> ModuleLog.Record {
        ModuleLog.Record(
            time: Timestamp(microsSinceUnixEpoch: 1_700_000_000_000_000 + Int64(i)), level: .info, file: "m.c",
            line: UInt32(i), message: "message \(i)")
    }

    @Test func ringBufferKeepsTheLastRecordsInOrder() {
        let log = ModuleLog(capacity: 3)
        for i in 0..<5 { log.append(record(i)) }
        #expect(log.count == 3)
        #expect(log.recent(10).map(\.line) == [2, 3, 4])
        #expect(log.recent(2).map(\.line) == [3, 4])
        #expect(log.recent(0).isEmpty)
    }

    @Test func appendsOneLinePerRecordToTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("module-log-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try ModuleLog(capacity: 2, filePath: path)
        for i in 0..<3 { log.append(record(i)) }
        log.host(.error, "two\nlines")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "2023-11-14T22:13:20.000000Z INFO m.c:0: message 0")
        #expect(lines[3].hasSuffix("ERROR host: two | lines"))
        #expect(throws: ModuleError.self) { try ModuleLog(filePath: "/nonexistent-dir/x.log") }
    }

    @Test func readersOnOtherThreadsSeeAConsistentLog() async {
        let log = ModuleLog(capacity: 100)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for i in 0..<2000 { log.append(self.record(i)) } }
            group.addTask {
                for _ in 0..<200 {
                    let lines = log.recent(100).map(\.line)
                    #expect(lines == lines.sorted())
                }
            }
        }
        #expect(log.recent(1).first?.line == 1999)
    }

    @Test func otherReturnCodesFailWithAGenericMessage() throws {
        var f = Fixture()
        f.reducer("seven", "(i32.const 7)")
        let h = try Harness(f)
        #expect(try h.run("seven") == .failed("reducer `seven` failed with code 7"))
        let context = CallContext(sender: .zero, timestamp: .unixEpoch)
        #expect(h.host.run(ReducerID(rawValue: 9), args: [], context: context, in: h.store).0 == .failed("no reducer with id 9"))
    }
}
