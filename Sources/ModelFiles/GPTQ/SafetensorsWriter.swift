import Foundation

/// Writes a `.safetensors` file tensor by tensor, streaming each one's bytes so that no model-sized buffer is
/// ever held. The header lists the tensors in the order given, with consecutive data offsets.
struct SafetensorsWriter {
    struct Tensor {
        var name: String
        /// The safetensors dtype: "I32", "F16", "BF16", "F32".
        var dtype: String
        var shape: [Int]
        var byteCount: Int
        /// Produces exactly `byteCount` bytes, in pieces, through `emit`.
        var write: (_ emit: (Data) throws -> Void) throws -> Void
    }

    static func write(_ tensors: [Tensor], metadata: [String: String] = ["format": "pt"], to path: String) throws {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(quoted(tensor.name)):{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.byteCount)]}")
            offset += tensor.byteCount
        }
        var header = Data("{\(entries.joined(separator: ","))}".utf8)
        // Padding to 8 bytes keeps the data section aligned for readers that map it.
        while header.count % 8 != 0 { header.append(0x20) }
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw ModelFileError(temporary, "cannot create")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            var length = UInt64(header.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: header)
            for tensor in tensors {
                var written = 0
                try tensor.write { piece in
                    written += piece.count
                    try handle.write(contentsOf: piece)
                }
                guard written == tensor.byteCount else {
                    throw ModelFileError(temporary, "tensor \(tensor.name): wrote \(written) bytes, its header says \(tensor.byteCount)")
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    private static func quoted(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
