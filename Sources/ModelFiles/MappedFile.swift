import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only into memory. Tensors point into it; nothing is copied, and the pages are
/// shared with the page cache, so a model costs its resident pages, not a second copy.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ModelFileError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelFileError(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw ModelFileError(path, "not a regular file") }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw ModelFileError(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    public var size: Int { bytes.count }
}

/// A little-endian cursor over untrusted bytes: every read checks what is left and throws with the offset.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func error(_ message: String, at position: Int? = nil) -> ModelFileError {
        ModelFileError(path, at: position ?? offset, message)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw error("file ends inside \(what()) (needs \(size) bytes, \(remaining) left)") }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat32(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readFloat64(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64-length-prefixed UTF-8 string, its length checked against the bytes left before anything is read.
    /// With `strictUTF8`, invalid UTF-8 is an error (names and keys); otherwise it is repaired with U+FFFD
    /// (values, where llama.cpp itself does not check).
    mutating func readString(_ what: @autoclosure () -> String, maximumLength: Int = 1 << 30, strictUTF8: Bool = false) throws -> String {
        let start = offset
        let length = try read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(maximumLength) else { throw error("\(what()) claims \(length) bytes (limit \(maximumLength))", at: start) }
        guard length <= UInt64(remaining) else {
            throw error("\(what()) claims \(length) bytes but only \(remaining) remain", at: start)
        }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        let text: String
        if strictUTF8 {
            guard let valid = String(validating: slice, as: UTF8.self) else { throw error("\(what()) is not valid UTF-8", at: start) }
            text = valid
        } else {
            text = String(decoding: slice, as: UTF8.self)
        }
        offset += count
        return text
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else { throw error("file ends inside \(what())") }
        offset += count
    }
}

/// Overflow-checked size arithmetic for sizes read from files.
enum CheckedSize {
    static func multiply(_ values: [Int]) -> Int? {
        var product = 1
        for value in values {
            guard value >= 0 else { return nil }
            let (result, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            product = result
        }
        return product
    }

    static func add(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }
}
