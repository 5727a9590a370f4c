import Synchronization

/// The phase of a load run, shared by the main task and every connection (read once per reply).
final class RunControl: Sendable {
    static let warmup = 0
    static let measuring = 1
    static let stopping = 2

    private let value = Atomic<Int>(RunControl.warmup)

    var phase: Int { value.load(ordering: .relaxed) }
    func enter(_ phase: Int) { value.store(phase, ordering: .relaxed) }
}
