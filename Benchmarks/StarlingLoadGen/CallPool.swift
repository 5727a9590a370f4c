import StarlingProtocol
import StarlingTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pre-encoded `CallReducer` frames for `transfer(from, to, 1)`, shared read-only by all connections.
///
/// Entry `i` carries request id `i` and is stored as the complete masked WebSocket frame that goes on the
/// wire, so sending a call costs one copy of its bytes into the connection's outgoing buffer: no encoding,
/// no masking, no allocation. A connection walks the pool from its own start offset; since it never has more
/// than `--in-flight` calls outstanding and the pool is at least twice that size, the request ids of its
/// outstanding calls are distinct.
struct CallPool: Sendable {
    /// The frames back to back; frame `i` is `wire[offsets[i]..<offsets[i + 1]]`.
    let wire: [UInt8]
    let offsets: [Int]
    /// The `(from, to)` pair of each frame, for the distribution summary.
    let pairs: [(from: UInt64, to: UInt64)]

    var count: Int { pairs.count }

    /// Draws `size` transfers from `distribution` over `accounts` accounts with a seeded generator.
    init(size: Int, accounts: UInt64, distribution: Distribution, alpha: Double, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let zipf = distribution == .zipf ? ZipfSampler(count: accounts, alpha: alpha) : nil
        // A generator of its own for the mask key, so `seed` draws the same transfers as it always did.
        var keyRNG = SplitMix64(seed: ~seed)
        let key = keyRNG.next()
        let maskKey = (0..<4).map { UInt8(truncatingIfNeeded: key >> (8 * UInt64($0))) }
        var wire: [UInt8] = []
        var offsets: [Int] = [0]
        var pairs: [(from: UInt64, to: UInt64)] = []
        offsets.reserveCapacity(size + 1)
        pairs.reserveCapacity(size)
        func draw() -> UInt64 {
            if let zipf { return zipf.sample(&rng) }
            return rng.next(upperBound: accounts)
        }
        for i in 0..<size {
            let from = draw()
            var to = draw()
            while to == from { to = draw() }
            let payload = Self.encodeTransfer(requestId: UInt32(i), from: from, to: to, amount: 1)
            if i == 0 { wire.reserveCapacity(size * (payload.count + 8)) }
            RawWebSocket.appendFrame(opcode: 0x2, payload: payload, maskKey: maskKey, to: &wire)
            offsets.append(wire.count)
            pairs.append((from, to))
        }
        self.wire = wire
        self.offsets = offsets
        self.pairs = pairs
    }

    /// Appends the wire bytes of frame `i` to `out`.
    @inline(__always)
    func write(_ i: Int, to out: inout [UInt8]) {
        out += wire[offsets[i]..<offsets[i + 1]]
    }

    /// The BSATN `CallReducer` message: args are the reducer's parameters as a BSATN product.
    static func encodeTransfer(requestId: UInt32, from: UInt64, to: UInt64, amount: Int64) -> [UInt8] {
        var args = BSATNWriter(capacity: 24)
        args.write(from)
        args.write(to)
        args.write(amount)
        return ClientMessage.callReducer(requestId: requestId, reducer: "transfer", args: .bsatn(args.bytes)).bsatn
    }

    /// The share of calls that touch the most frequent account (as source or target): how skewed the pool is.
    func hottestAccountShare() -> Double {
        var counts: [UInt64: Int] = [:]
        for p in pairs {
            counts[p.from, default: 0] += 1
            counts[p.to, default: 0] += 1
        }
        return Double(counts.values.max() ?? 0) / Double(max(1, pairs.count))
    }
}

/// Samples ranks from a Zipf distribution over `0..<count` by inverting its cumulative distribution
/// (a binary search over precomputed prefix sums): id `k` has weight `1 / (k + 1)^alpha`.
struct ZipfSampler: Sendable {
    private let cumulative: [Double]

    init(count: UInt64, alpha: Double) {
        var sums: [Double] = []
        sums.reserveCapacity(Int(count))
        var total = 0.0
        for k in 1...count {
            total += 1 / pow(Double(k), alpha)
            sums.append(total)
        }
        cumulative = sums.map { $0 / total }
    }

    func sample(_ rng: inout SplitMix64) -> UInt64 {
        let u = Double(rng.next() >> 11) * 0x1p-53
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return UInt64(lo)
    }
}
