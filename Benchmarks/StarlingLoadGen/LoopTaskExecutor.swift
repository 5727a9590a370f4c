import NIOCore

/// A Swift `TaskExecutor` that runs jobs on one SwiftNIO event loop.
///
/// Tasks started with this executor preference run their nonisolated async code (the connection's
/// `messages` iterator, `send(frames:)`, continuations) on the event loop thread that also does the
/// connection's I/O, so a reply batch and the sends it triggers never cross threads. NIO 2.101 makes event
/// loops `SerialExecutor`s but not `TaskExecutor`s, hence this adapter.
final class LoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
