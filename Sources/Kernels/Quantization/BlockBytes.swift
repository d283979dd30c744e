/// Little-endian field reads from a quant block, and GGML's rounding helpers, for the scalar reference code.
@usableFromInline
struct BlockBytes {
    @usableFromInline let base: UnsafeRawPointer

    @inlinable init(_ base: UnsafeRawPointer) { self.base = base }

    @inlinable func u8(_ offset: Int) -> Int { Int(base.load(fromByteOffset: offset, as: UInt8.self)) }
    @inlinable func i8(_ offset: Int) -> Int { Int(base.load(fromByteOffset: offset, as: Int8.self)) }
    @inlinable func u16(_ offset: Int) -> UInt16 { UInt16(u8(offset)) | UInt16(u8(offset + 1)) << 8 }
    @inlinable func i16(_ offset: Int) -> Int { Int(Int16(bitPattern: u16(offset))) }
    @inlinable func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
    @inlinable func half(_ offset: Int) -> Float { Float(Float16(bitPattern: u16(offset))) }
    @inlinable func f32(_ offset: Int) -> Float { Float(bitPattern: u32(offset)) }
}

@usableFromInline
enum QuantRounding {
    /// GGML's `nearest_int`: adding 1.5·2^23 rounds to the nearest integer, ties to even (|x| < 2^22).
    @inlinable static func nearestInt(_ x: Float) -> Int {
        let v = x + 12582912
        return Int(Int32(bitPattern: v.bitPattern) & 0x007F_FFFF) - 0x0040_0000
    }

    /// C's `(int)x` truncation toward zero for values known to be small; NaN and out-of-range give 0 instead of
    /// undefined behaviour.
    @inlinable static func truncate(_ x: Float) -> Int {
        guard x.isFinite, abs(x) < 1e9 else { return 0 }
        return Int(x)
    }

    @inlinable static func half(_ x: Float) -> UInt16 { Float16(x).bitPattern }
    @inlinable static func float(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }
}

extension UnsafeMutableRawPointer {
    @inlinable func storeLE(_ value: UInt16, at offset: Int) {
        storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: offset, as: UInt8.self)
        storeBytes(of: UInt8(truncatingIfNeeded: value >> 8), toByteOffset: offset + 1, as: UInt8.self)
    }
    @inlinable func storeByte(_ value: Int, at offset: Int) {
        storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: offset, as: UInt8.self)
    }
}
