import Foundation

/// A decoded JSON value that keeps booleans, integers and other numbers apart, so a wrong type is named exactly.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let integer = try? container.decode(Int.self) { self = .integer(integer) }
        else if let integer = try? container.decode(UInt64.self) { self = .unsigned(integer) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let list = try? container.decode([JSONValue].self) { self = .array(list) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let text): "\"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsigned(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// Reads a request's JSON object field by field, refusing wrong types with a message naming the field
/// (`parameters.top_k` must be an integer, got "ten") instead of a decoder's generic complaint.
struct JSONFields {
    let object: [String: JSONValue]
    /// The path of this object in the body, for messages (`parameters.`).
    let prefix: String

    init(_ object: [String: JSONValue], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    /// Parses a request body: malformed when it is not JSON, a validation error when it is not an object.
    static func parse(_ data: Data) throws -> JSONFields {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let reason = context.underlyingError.map { ($0 as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\($0)" }
            throw APIError(.malformed, "the request body is not valid JSON" + (reason.map { ": \($0)" } ?? ""))
        } catch {
            throw APIError(.malformed, "the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError(.validation, "the request body must be a JSON object, got \(value.description)")
        }
        return JSONFields(object)
    }

    private func value(_ key: String) -> JSONValue? {
        guard let value = object[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func wrong(_ key: String, _ expected: String, _ value: JSONValue) -> APIError {
        APIError(.validation, "`\(prefix)\(key)` must be \(expected), got \(value.description)", parameter: prefix + key)
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "a string", value) }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrong(key, "true or false", value) }
        return flag
    }

    func double(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else { throw wrong(key, "a number", value) }
        return number
    }

    func integer(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let integer): return integer
        case .number(let number) where number.rounded() == number && abs(number) < 9e15: return Int(number)
        default: throw wrong(key, "an integer", value)
        }
    }

    /// A seed: any integer from 0 to 2^64 - 1.
    func seed(_ key: String) throws -> UInt64? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let integer) where integer >= 0: return UInt64(integer)
        case .unsigned(let integer): return integer
        default: throw wrong(key, "an integer from 0 to 18446744073709551615", value)
        }
    }

    /// A list of strings, or (when `single`) one string (`stop`).
    func strings(_ key: String, single: Bool) throws -> [String]? {
        guard let value = value(key) else { return nil }
        if single, case .string(let text) = value { return [text] }
        let expected = single ? "a string or a list of strings" : "a list of strings"
        guard case .array(let list) = value else { throw wrong(key, expected, value) }
        return try list.map { item in
            guard case .string(let text) = item else { throw wrong(key, expected, value) }
            return text
        }
    }

    func nested(_ key: String) throws -> JSONFields? {
        guard let value = value(key) else { return nil }
        guard case .object(let inner) = value else { throw wrong(key, "an object", value) }
        return JSONFields(inner, prefix: prefix + key + ".")
    }

    func raw(_ key: String) -> JSONValue? { value(key) }
}
