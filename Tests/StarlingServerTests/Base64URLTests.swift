import Foundation
import StarlingTypes
import Testing

@testable import StarlingServer

/// The token codec: base64url without padding, decoded by hand on the request path.
struct Base64URLTests {
    @Test func roundTripsEveryLengthAndMatchesFoundation() {
        var rng = SplitMix64(seed: 3)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes, "length \(length)")
            let standard = Data(bytes).base64EncodedString()
            #expect(text == standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""))
        }
    }

    @Test(arguments: ["a", "ab=c", "a+b/", "abc$", "AB", "AAB"])
    func rejectsWhatIsNotBase64URL(_ text: String) {
        // "AB" and "AAB" carry non-zero leftover bits; a single character encodes nothing.
        if text == "AB" || text == "AAB" {
            #expect(Base64URL.decode("AA") == [0] && Base64URL.decode("AAA") == [0, 0])
        }
        #expect(Base64URL.decode(text) == nil, "\(text)")
    }
}
