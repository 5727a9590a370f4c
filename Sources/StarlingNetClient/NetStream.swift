import NIOCore

/// Values arriving on one connection (WebSocket messages, HTTP body chunks), in order, with backpressure.
///
/// A `NetStream` has **one consumer**: iterate it at most once (a second iterator traps, as with
/// NIO's `NIOThrowingAsyncSequenceProducer`, which this wraps).
///
/// Backpressure: the connection buffers at most `highWatermark` values the consumer has not taken yet
/// (plus what one socket read delivered); above that it stops reading from the socket until the
/// consumer has drained the buffer below `lowWatermark`. So a slow consumer slows the peer down
/// (through TCP flow control) instead of growing memory.
///
/// The sequence ends normally when the exchange completes and throws a ``NetError`` when it fails.
/// Cancelling the consuming task, or dropping the iterator, ends the stream; what that does to the
/// connection depends on the owner (an HTTP body stream closes its connection).
public struct NetStream<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = NetError
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        Element, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        InboundFlowDelegate<Element>
    >

    let producer: Producer
    /// Kept alive while the stream or its iterator is: the connection whose deinit would close the socket.
    let owner: (any AnyObject & Sendable)?

    init(producer: Producer, owner: (any AnyObject & Sendable)? = nil) {
        self.producer = producer
        self.owner = owner
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.producer.makeAsyncIterator(), owner: self.owner)
    }

    /// The iterator of a ``NetStream``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = NetError
        var base: Producer.AsyncIterator
        let owner: (any AnyObject & Sendable)?

        public mutating func next() async throws(NetError) -> Element? {
            do {
                return try await self.base.next()
            } catch let error as NetError {
                throw error
            } catch is CancellationError {
                throw NetError(.cancelled, "the task consuming the stream was cancelled")
            } catch {
                throw NetError(.io, "stream failed: \(error)")
            }
        }
    }
}

/// Event-loop-confined flow control between a channel handler that produces values and the
/// ``NetStream`` that hands them to one consumer.
///
/// The owning handler appends values as it decodes them, calls ``flush()`` on `channelReadComplete`
/// (so a read burst crosses threads once), routes its outbound `read` through ``read(context:)``, and
/// calls ``finish(_:)`` when the exchange ends.
final class InboundFlow<Element: Sendable> {
    typealias Producer = NetStream<Element>.Producer

    private var source: Producer.Source?
    private var pending: [Element] = []
    /// The consumer's buffer is above the high watermark: hold reads.
    private var paused = false
    /// A `read` arrived while paused; issue it when the consumer catches up.
    private var heldRead = false
    private var finished = false
    private var backpressureIgnored = false
    private weak var context: ChannelHandlerContext?
    /// Called (on the event loop) when the consumer stopped: cancelled, or dropped its iterator.
    var onConsumerGone: ((ChannelHandlerContext) -> Void)?

    /// Whether the consumer is gone; values appended now are dropped.
    private(set) var consumerGone = false

    private init() {}

    /// Creates a flow and its stream. Call on `eventLoop`.
    static func make(
        on eventLoop: any EventLoop,
        lowWatermark: Int,
        highWatermark: Int
    ) -> (InboundFlow, NetStream<Element>) {
        let flow = InboundFlow()
        let delegate = InboundFlowDelegate(flow: NIOLoopBound(flow, eventLoop: eventLoop))
        let new = Producer.makeSequence(
            backPressureStrategy: .init(
                lowWatermark: lowWatermark,
                highWatermark: max(lowWatermark + 1, highWatermark)
            ),
            finishOnDeinit: false,
            delegate: delegate
        )
        flow.source = new.source
        return (flow, NetStream(producer: new.sequence))
    }

    /// Remembers the handler's context so held reads can be issued later. Call from `handlerAdded`.
    func attach(_ context: ChannelHandlerContext) { self.context = context }

    /// Buffers one value for the consumer; it is handed over at the next ``flush()``.
    func append(_ element: Element) {
        guard !self.finished, !self.consumerGone else { return }
        self.pending.append(element)
    }

    /// Hands the buffered values to the consumer.
    func flush() {
        guard !self.pending.isEmpty, let source = self.source else { return }
        let batch = self.pending
        self.pending.removeAll(keepingCapacity: true)
        switch source.yield(contentsOf: batch) {
        case .produceMore: break
        case .stopProducing: self.paused = true
        case .dropped: self.consumerGone = true
        }
    }

    /// Flushes what is buffered, then ends the stream: normally when `error` is nil.
    func finish(_ error: NetError? = nil) {
        guard !self.finished else { return }
        self.flush()
        self.finished = true
        if let error { self.source?.finish(error) } else { self.source?.finish() }
        self.source = nil
        self.resume()
    }

    /// From now on, read regardless of the consumer (used once a closing handshake has started, so the server's
    /// close frame is seen even if nobody consumes; the buffer grows by what the server sends until then).
    func ignoreBackpressure() {
        self.backpressureIgnored = true
        self.resume()
    }

    /// The handler's outbound `read`: forwarded unless the consumer is behind.
    func read(context: ChannelHandlerContext) {
        if self.paused && !self.backpressureIgnored {
            self.heldRead = true
        } else {
            context.read()
        }
    }

    fileprivate func resume() {
        self.paused = false
        if self.heldRead, let context = self.context {
            self.heldRead = false
            context.read()
        }
    }

    fileprivate func consumerTerminated() {
        self.consumerGone = true
        self.pending.removeAll()
        if let context = self.context, !self.finished { self.onConsumerGone?(context) }
        self.onConsumerGone = nil
        self.resume()
    }
}

/// Forwards the consumer's demand from any thread to the ``InboundFlow`` on its event loop.
struct InboundFlowDelegate<Element: Sendable>: NIOAsyncSequenceProducerDelegate {
    let flow: NIOLoopBound<InboundFlow<Element>>

    func produceMore() {
        let flow = self.flow
        flow.eventLoop.execute { flow.value.resume() }
    }

    func didTerminate() {
        let flow = self.flow
        flow.eventLoop.execute { flow.value.consumerTerminated() }
    }
}
