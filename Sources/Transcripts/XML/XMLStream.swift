import CLibXML2
import Foundation

/// libxml2's SAX2 parser behind a small event API — the only file that touches libxml2.
///
/// Safe by construction: no network (`XML_PARSE_NONET`), no DTD loading, no external entities and no entity
/// substitution (a reference to a declared entity is dropped, so neither XXE nor "billion laughs" can
/// expand), and libxml2's own limits stay on (no `XML_PARSE_HUGE`). The declared encoding is honoured.
/// No tree is built: memory is bounded by the longest text run, not the file, and SAX is twice as fast as
/// libxml2's `xmlTextReader` (≈250 against ≈113 MB/s over FreDraCor).
enum XMLStream {
    /// Receives a document's events in order. Elements are numbered by `XMLStream.parse`'s `knownNames`
    /// (their index); any other name gets the next free number, which `ElementNames.name(of:)` spells.
    /// Text comes as UTF-8 bytes, possibly in several pieces for one text run, valid only during the call.
    /// A value type: the parser reaches it through a pointer, so the millions of events of a large corpus
    /// pay no reference counting or exclusivity checks.
    protocol Handler {
        mutating func startElement(_ element: Int, attributes: XMLAttributes, names: ElementNames) throws
        mutating func endElement(_ element: Int, names: ElementNames) throws
        mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws
    }

    /// Element names seen so far, numbered: the caller's known names first, then others as they appear.
    final class ElementNames {
        private(set) var spelled: [String]
        private var numbers: [String: Int]
        // libxml2 interns names in one dictionary per document, so a name's pointer identifies it: a small
        // direct-mapped cache from pointer to number answers almost every event without hashing a string.
        // Valid for one document only (the dictionary dies with it), hence one `ElementNames` per parse.
        private static let cacheSize = 256
        private let cachedPointers = UnsafeMutablePointer<UInt>.allocate(capacity: cacheSize)
        private let cachedNumbers = UnsafeMutablePointer<Int>.allocate(capacity: cacheSize)

        init(_ known: [String]) {
            spelled = known
            numbers = Dictionary(known.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            cachedPointers.initialize(repeating: 0, count: Self.cacheSize)
            cachedNumbers.initialize(repeating: 0, count: Self.cacheSize)
        }

        deinit {
            cachedPointers.deallocate()
            cachedNumbers.deallocate()
        }

        func name(of element: Int) -> String { spelled[element] }

        @inline(__always)
        fileprivate func number(_ pointer: UnsafePointer<xmlChar>?) -> Int {
            guard let pointer else { return number(spelling: "") }
            let key = UInt(bitPattern: pointer)
            let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56) & (Self.cacheSize - 1)
            if cachedPointers[slot] == key { return cachedNumbers[slot] }
            let value = number(spelling: String(cString: pointer))
            cachedPointers[slot] = key
            cachedNumbers[slot] = value
            return value
        }

        private func number(spelling: String) -> Int {
            if let known = numbers[spelling] { return known }
            spelled.append(spelling)
            numbers[spelling] = spelled.count - 1
            return spelled.count - 1
        }
    }

    /// Parses `data`, calling `handler` for every element start/end and text run in document order. Errors
    /// (malformed XML, an unsupported encoding, or one the handler throws) come with the file's line and column.
    static func parse<H: Handler>(_ data: Data, source: String, knownNames: [String], handler: inout H) throws {
        try data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count > 0 else {
                throw TranscriptError(file: source, "the file is empty")
            }
            guard raw.count <= Int(Int32.max) else { throw TranscriptError(file: source, "too large for the XML reader") }
            guard let context = xmlCreateMemoryParserCtxt(base, Int32(raw.count)), let sax = context.pointee.sax else {
                throw TranscriptError(file: source, "libxml2 could not start reading")
            }
            defer {
                if let document = context.pointee.myDoc { xmlFreeDoc(document) }
                context.pointee.myDoc = nil
                xmlFreeParserCtxt(context)
            }
            sax.pointee = eventHandlers()
            let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_COMPACT.rawValue)
            xmlCtxtUseOptions(context, options)
            let status = withUnsafeMutablePointer(to: &handler) { handler in
                let session = TypedSession(handler: handler, names: ElementNames(knownNames), context: context)
                context.pointee._private = Unmanaged.passUnretained(session as Session).toOpaque()
                return withExtendedLifetime(session) { (xmlParseDocument(context), session as Session) }
            }
            let session = status.1
            if let thrown = session.thrown {
                if var located = thrown as? TranscriptError, located.location == .none {
                    located.location = .line(session.line(), column: session.column())
                    throw located
                }
                throw thrown
            }
            if status.0 != 0 || context.pointee.wellFormed == 0 || session.message != nil {
                throw TranscriptError(file: source, .line(max(session.errorLine, 1), column: session.errorColumn > 0 ? session.errorColumn : nil),
                                      "malformed XML: \(session.message ?? "the XML parser stopped")")
            }
        }
    }

    /// The state one parse shares with libxml2's C callbacks (through the context's `_private`). The C
    /// callbacks cannot be generic, so they call through this class's methods into `TypedSession`.
    private class Session {
        let names: ElementNames
        let context: xmlParserCtxtPtr
        var thrown: Error?
        var message: String?
        var errorLine = 0, errorColumn = 0

        init(names: ElementNames, context: xmlParserCtxtPtr) {
            self.names = names
            self.context = context
        }

        func startElement(_ element: Int, attributes: XMLAttributes) throws {}
        func endElement(_ element: Int) throws {}
        func characters(_ text: UnsafeBufferPointer<UInt8>) throws {}

        func line() -> Int { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context))) }
        func column() -> Int { Int(xmlSAX2GetColumnNumber(UnsafeMutableRawPointer(context))) }

        func fail(_ error: Error) {
            if thrown == nil { thrown = error }
            xmlStopParser(context)
        }

        /// The session for a callback's context, or nil when libxml2 calls from a nested context: it parses
        /// a declared entity's text once to check it, and that text must not reach the transcript.
        @inline(__always)
        static func of(_ context: UnsafeMutableRawPointer?) -> Session? {
            // Unretained: the parse holds the session for as long as libxml2 can call.
            guard let context else { return nil }
            let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
            guard let opaque = parser.pointee._private else { return nil }
            let session = Unmanaged<Session>.fromOpaque(opaque).takeUnretainedValue()
            return UnsafeMutableRawPointer(session.context) == context && session.thrown == nil ? session : nil
        }
    }

    private final class TypedSession<H: Handler>: Session {
        let handler: UnsafeMutablePointer<H>

        init(handler: UnsafeMutablePointer<H>, names: ElementNames, context: xmlParserCtxtPtr) {
            self.handler = handler
            super.init(names: names, context: context)
        }

        override func startElement(_ element: Int, attributes: XMLAttributes) throws {
            try handler.pointee.startElement(element, attributes: attributes, names: names)
        }

        override func endElement(_ element: Int) throws { try handler.pointee.endElement(element, names: names) }

        override func characters(_ text: UnsafeBufferPointer<UInt8>) throws { try handler.pointee.characters(text) }
    }

    /// libxml2's own SAX2 handlers (they keep the DTD's declarations, so entity references are recognized
    /// and dropped) with ours for elements, text and errors.
    private static func eventHandlers() -> xmlSAXHandler {
        var handlers = xmlSAXHandler()
        xmlSAXVersion(&handlers, 2)
        handlers.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let session = Session.of(context) else { return }
            do {
                try session.startElement(session.names.number(localName), attributes: XMLAttributes(values: attributes, count: Int(attributeCount)))
            } catch { session.fail(error) }
        }
        handlers.endElementNs = { context, localName, _, _ in
            guard let session = Session.of(context) else { return }
            do { try session.endElement(session.names.number(localName)) } catch { session.fail(error) }
        }
        let characters: charactersSAXFunc = { context, bytes, length in
            guard let session = Session.of(context), let bytes, length > 0 else { return }
            do { try session.characters(UnsafeBufferPointer(start: bytes, count: Int(length))) } catch { session.fail(error) }
        }
        handlers.characters = characters
        handlers.ignorableWhitespace = characters
        handlers.cdataBlock = characters
        handlers.reference = nil
        handlers.comment = nil
        handlers.processingInstruction = nil
        handlers.warning = nil
        handlers.error = nil
        handlers.fatalError = nil
        handlers.serror = { context, error in
            guard let context, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
            // Errors report the user data, which is the parser context itself (ours or a nested one).
            let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
            guard let opaque = parser.pointee._private else { return }
            let session = Unmanaged<Session>.fromOpaque(opaque).takeUnretainedValue()
            guard session.message == nil else { return }
            session.message = error.pointee.message.map { String(cString: $0).trimmingWhitespaceAndNewlines() } ?? "malformed XML"
            session.errorLine = Int(error.pointee.line)
            session.errorColumn = Int(error.pointee.int2)
        }
        return handlers
    }

    // MARK: - Events as strings, for readers of small files

    /// Calls `handle` for every element start/end and text run (consecutive pieces of text joined), in
    /// document order.
    static func walk(_ data: Data, source: String, _ handle: @escaping (XMLEvent) throws -> Void) throws {
        var adapter = EventAdapter(handle)
        try parse(data, source: source, knownNames: [], handler: &adapter)
    }

    private struct EventAdapter: Handler {
        let handle: (XMLEvent) throws -> Void
        var text: [UInt8] = []

        init(_ handle: @escaping (XMLEvent) throws -> Void) { self.handle = handle }

        mutating func flush() throws {
            guard !text.isEmpty else { return }
            let run = String(decoding: text, as: UTF8.self)
            text.removeAll(keepingCapacity: true)
            try handle(.text(run))
        }

        mutating func startElement(_ element: Int, attributes: XMLAttributes, names: ElementNames) throws {
            try flush()
            try handle(.start(name: names.name(of: element), attributes: attributes))
        }

        mutating func endElement(_ element: Int, names: ElementNames) throws {
            try flush()
            try handle(.end(name: names.name(of: element)))
        }

        mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) throws { text.append(contentsOf: bytes) }
    }
}

enum XMLEvent {
    case start(name: String, attributes: XMLAttributes)
    case end(name: String)
    case text(String)
}

/// The attributes of the element being reported, read on demand (most elements' attributes are never
/// asked for). Valid only during the callback that received it.
struct XMLAttributes {
    /// libxml2's SAX2 layout: five pointers per attribute — local name, prefix, namespace, value start, value end.
    fileprivate let values: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    fileprivate let count: Int

    /// The value of `name` (`who`, or with a prefix `xml:id`).
    subscript(name: String) -> String? {
        guard let values, count > 0 else { return nil }
        var name = name
        return name.withUTF8 { wanted -> String? in
            let colon = wanted.firstIndex(of: UInt8(ascii: ":"))
            let prefix = colon.map { UnsafeBufferPointer(rebasing: wanted[..<$0]) }
            let local = colon.map { UnsafeBufferPointer(rebasing: wanted[($0 + 1)...]) } ?? wanted
            for index in 0..<count {
                let base = values + 5 * index
                guard let localName = base[0], Self.equals(localName, local) else { continue }
                if let attributePrefix = base[1] {
                    guard let prefix, Self.equals(attributePrefix, prefix) else { continue }
                } else if prefix != nil {
                    continue
                }
                guard let start = base[3], let end = base[4] else { return "" }
                return String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
            }
            return nil
        }
    }

    private static func equals(_ pointer: UnsafePointer<xmlChar>, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<text.count where pointer[index] != text[index] { return false }
        return pointer[text.count] == 0
    }
}
