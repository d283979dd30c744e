/// Text built scalar by scalar. Appending to a `String.UnicodeScalarView` can copy the whole string on each
/// append (measured: a 1 MB turn took seconds, most of it in memmove), so scalars are encoded into a byte
/// array that grows geometrically and become a String once.
struct ScalarText {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func append(_ scalar: Unicode.Scalar) {
        if scalar.value < 0x80 { bytes.append(UInt8(scalar.value)) } else { bytes.append(contentsOf: UTF8.encode(scalar)!) }
    }

    mutating func append<S: Sequence>(contentsOf scalars: S) where S.Element == Unicode.Scalar {
        for scalar in scalars { append(scalar) }
    }

    var last: UInt8? { bytes.last }

    mutating func removeLast() { bytes.removeLast() }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var text = ScalarText()
        text.append(contentsOf: scalars)
        return text.string
    }
}
