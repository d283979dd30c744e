import CLibXML2
import Foundation

/// libxml2's streaming reader behind a small event API — the only file that touches libxml2.
///
/// Safe by construction: no network (`XML_PARSE_NONET`), no DTD loading, no external entities and no entity
/// substitution (references to entities are skipped, so neither XXE nor "billion laughs" can expand), and
/// libxml2's own limits stay on (no `XML_PARSE_HUGE`). The declared encoding is honoured. Memory stays
/// bounded by the current node, not the file: large TEI files stream.
enum XMLEvent {
    case start(name: String, attributes: XMLAttributes, isEmpty: Bool)
    case end(name: String)
    case text(String)
}

/// The attributes of the element being reported, read on demand (most elements' attributes are never
/// asked for). Valid only during the callback that received it.
struct XMLAttributes {
    fileprivate let reader: OpaquePointer?

    subscript(name: String) -> String? {
        guard let reader, xmlTextReaderHasAttributes(reader) == 1 else { return nil }
        defer { xmlTextReaderMoveToElement(reader) }
        let wanted = Array(name.utf8)
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            guard let qualified = xmlTextReaderConstName(reader) else { continue }
            var i = 0
            while i < wanted.count, qualified[i] == wanted[i] { i += 1 }
            if i == wanted.count, qualified[i] == 0 {
                return xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
            }
        }
        return nil
    }
}

enum XMLStream {
    /// Calls `handle` for every element start/end and text run, in document order. Errors (malformed XML,
    /// an undeclared encoding) are thrown with the file's line and column.
    static func walk(_ data: Data, source: String, _ handle: (XMLEvent) throws -> Void) throws {
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_COMPACT.rawValue | XML_PARSE_NOBLANKS.rawValue)
        let box = ErrorBox()
        try data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count > 0 else {
                throw TranscriptError(file: source, "the file is empty")
            }
            guard raw.count <= Int(Int32.max) else { throw TranscriptError(file: source, "too large for the XML reader") }
            guard let reader = xmlReaderForMemory(base, Int32(raw.count), nil, nil, options) else {
                throw TranscriptError(file: source, "libxml2 could not start reading")
            }
            defer { xmlFreeTextReader(reader) }
            let context = Unmanaged.passUnretained(box).toOpaque()
            xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
                guard let context, let error else { return }
                let box = Unmanaged<ErrorBox>.fromOpaque(context).takeUnretainedValue()
                // Warnings (e.g. an unknown entity left unexpanded) do not stop reading; the first error does.
                guard box.message == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
                box.message = error.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "malformed XML"
                box.line = Int(error.pointee.line)
                box.column = Int(error.pointee.int2)
            }, context)
            // Element names are interned by libxml2's dictionary: one Swift string per distinct name.
            var names: [UnsafePointer<xmlChar>: String] = [:]
            func cachedName(_ pointer: UnsafePointer<xmlChar>?) -> String {
                guard let pointer else { return "" }
                if let known = names[pointer] { return known }
                let name = String(cString: pointer)
                names[pointer] = name
                return name
            }
            while true {
                let status = xmlTextReaderRead(reader)
                if status == 0 { break }
                if status < 0 || box.message != nil {
                    throw TranscriptError(file: source, .line(max(box.line, 1), column: box.column > 0 ? box.column : nil),
                                          "malformed XML: \(box.message ?? "the XML reader stopped")")
                }
                switch xmlTextReaderNodeType(reader) {
                case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                    let name = cachedName(xmlTextReaderConstLocalName(reader))
                    let isEmpty = xmlTextReaderIsEmptyElement(reader) == 1
                    try handle(.start(name: name, attributes: XMLAttributes(reader: reader), isEmpty: isEmpty))
                    if isEmpty { try handle(.end(name: name)) }
                case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                    try handle(.end(name: cachedName(xmlTextReaderConstLocalName(reader))))
                case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                     Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue), Int32(XML_READER_TYPE_WHITESPACE.rawValue):
                    try handle(.text(string(xmlTextReaderConstValue(reader))))
                default:
                    break  // comments, processing instructions, the DTD, entity references (never expanded)
                }
            }
        }
    }

    private final class ErrorBox {
        var message: String?
        var line = 0
        var column = 0
    }

    private static func string(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }
}
