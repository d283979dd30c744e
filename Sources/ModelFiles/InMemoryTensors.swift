import Foundation

/// Tensors made in this process (in-process quantization): each one's bytes in its own aligned buffer.
final class InMemoryTensors: TensorSource, @unchecked Sendable {
    private(set) var tensorInfos: [TensorInfo] = []
    private var buffers: [String: UnsafeMutableRawBufferPointer] = [:]

    init() {}

    /// Adds a tensor; called while the source is being built, before it is shared.
    func add(_ info: TensorInfo, _ data: Data) {
        // 64-byte alignment: the SIMD kernels read whole cache lines.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { buffer.copyMemory(from: $0) }
        tensorInfos.append(info)
        buffers[info.name] = buffer
    }

    deinit {
        for buffer in buffers.values { buffer.deallocate() }
    }

    func tensor(named name: String) -> TensorView? {
        guard let info = tensorInfos.first(where: { $0.name == name }), let buffer = buffers[name] else { return nil }
        return TensorView(info: info, bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<(info.rowCount * info.rowLength / info.type.blockSize * info.type.bytesPerBlock)]))
    }
}
