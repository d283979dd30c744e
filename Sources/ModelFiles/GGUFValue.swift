/// One GGUF metadata value. Integer keys come in any width (TheBloke-era files use u32 where the spec
/// suggests u64), so readers ask for `.int` rather than a particular type.
///
/// Not `indirect`: the payloads are stored inline, so an array of 65k token strings is one buffer of
/// values rather than 65k boxes (an array case refers to its elements through Array's own buffer).
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFValue.ArrayValue)

    /// Arrays keep their element type so that they can be written back unchanged.
    public struct ArrayValue: Equatable, Sendable {
        public var elementType: GGUFValueType
        public var elements: [GGUFValue]
        public init(elementType: GGUFValueType, elements: [GGUFValue]) {
            self.elementType = elementType
            self.elements = elements
        }
    }

    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    /// Any float or integer value as a Float.
    public var float: Float? { double.map(Float.init) }

    public var string: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    public var bool: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    public var array: [GGUFValue]? {
        if case let .array(v) = self { return v.elements }
        return nil
    }

    /// The elements of an array whose declared element type is string; nil for anything else (the element
    /// type is checked, not guessed: a vocabulary declared as u8 must not be read as strings).
    public var stringArray: [String]? {
        guard case let .array(value) = self, value.elementType == .string else { return nil }
        var result: [String] = []
        result.reserveCapacity(value.elements.count)
        for element in value.elements {
            guard case let .string(text) = element else { return nil }
            result.append(text)
        }
        return result
    }

    /// The elements of an array of integers (any width); nil when the array holds anything else or a
    /// value does not fit in Int.
    public var intArray: [Int]? {
        guard case let .array(value) = self, value.elementType.isInteger else { return nil }
        var result: [Int] = []
        result.reserveCapacity(value.elements.count)
        for element in value.elements {
            guard let number = element.int else { return nil }
            result.append(number)
        }
        return result
    }

    /// The elements of an array of floats (f32 or f64); nil otherwise.
    public var floatArray: [Float]? {
        guard case let .array(value) = self, value.elementType == .float32 || value.elementType == .float64 else { return nil }
        return value.elements.compactMap(\.float)
    }

    public var valueType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }
}

public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
        default: return false
        }
    }

    /// Bytes of one element, or nil for strings and arrays (variable length).
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }
}

extension GGUFValueType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .uint16: return "u16"
        case .int16: return "i16"
        case .uint32: return "u32"
        case .int32: return "i32"
        case .float32: return "f32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "u64"
        case .int64: return "i64"
        case .float64: return "f64"
        }
    }
}

extension GGUFValue: CustomStringConvertible {
    /// One line; arrays are summarised by element type and count.
    public var description: String {
        switch self {
        case let .string(text): return text.debugDescription
        case let .bool(flag): return String(flag)
        case let .float32(number): return String(number)
        case let .float64(number): return String(number)
        case let .array(value): return "[\(value.elementType) × \(value.elements.count)]"
        default: return int.map(String.init) ?? "?"
        }
    }
}
