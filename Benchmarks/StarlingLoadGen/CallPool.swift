import StarlingNetClient
import StarlingProtocol
import StarlingTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pre-encoded `CallReducer` frames for `transfer(from, to, 1)`, shared read-only by all connections.
///
/// Entry `i` carries request id `i`, so sending costs no encoding and no allocation on the load generator's
/// side (the array is only retained). A connection walks the pool from its own start offset; since it never
/// has more than `--in-flight` calls outstanding and the pool is at least twice that size, the request ids of
/// its outstanding calls are distinct.
struct CallPool: Sendable {
    /// The frames, one BSATN `ClientMessage.callReducer` each.
    let frames: [WebSocketMessage]
    /// The `(from, to)` pair of each frame, for the distribution summary.
    let pairs: [(from: UInt64, to: UInt64)]

    var count: Int { frames.count }

    /// Draws `size` transfers from `distribution` over `accounts` accounts with a seeded generator.
    init(size: Int, accounts: UInt64, distribution: Distribution, alpha: Double, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let zipf = distribution == .zipf ? ZipfSampler(count: accounts, alpha: alpha) : nil
        var frames: [WebSocketMessage] = []
        var pairs: [(from: UInt64, to: UInt64)] = []
        frames.reserveCapacity(size)
        pairs.reserveCapacity(size)
        func draw() -> UInt64 {
            if let zipf { return zipf.sample(&rng) }
            return rng.next(upperBound: accounts)
        }
        for i in 0..<size {
            let from = draw()
            var to = draw()
            while to == from { to = draw() }
            frames.append(.binary(Self.encodeTransfer(requestId: UInt32(i), from: from, to: to, amount: 1)))
            pairs.append((from, to))
        }
        self.frames = frames
        self.pairs = pairs
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
