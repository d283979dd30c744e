import Foundation

/// A GPTQ checkpoint's quantization parameters, from `config.json`'s `quantization_config`, with
/// `quantize_config.json` winning where both are present (AutoGPTQ and GPTQModel read it first).
public struct GPTQSettings: Equatable, Sendable {
    /// 4 or 8: the widths whose integers map exactly onto our block formats.
    public var bits: Int
    /// Input columns per group; nil for `group_size: -1` (one group per row).
    public var groupSize: Int?
    /// `desc_act`: columns were quantized in decreasing-activation order, so `g_idx` is not `i / group`.
    public var actOrder: Bool
    public var symmetric: Bool
    /// v1 (`gptq`) stores each zero minus one; `gptq_v2` stores it as is.
    public var storesZeroMinusOne: Bool
    /// The file the parameters were read from (for error messages).
    public var source: String

    /// The checkpoint format's name as the files spell it.
    public var checkpointFormat: String { storesZeroMinusOne ? "gptq" : "gptq_v2" }

    /// "4-bit, group 128, act-order, symmetric, v1 (gptq)".
    public var summary: String {
        let group = groupSize.map { "group \($0)" } ?? "no groups"
        return "\(bits)-bit, \(group), act-order \(actOrder ? "on" : "off"), \(symmetric ? "symmetric" : "asymmetric"), \(checkpointFormat)"
    }

    /// The settings of the model directory `directory`, or nil when its `config.json` has no
    /// `quantization_config` and there is no `quantize_config.json` (not a quantized checkpoint).
    public static func read(directory: String) throws -> GPTQSettings? {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let quantizePath = (directory as NSString).appendingPathComponent("quantize_config.json")
        var object: [String: Any]?
        var source = configPath
        if let data = FileManager.default.contents(atPath: configPath),
           let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let quantization = json["quantization_config"] {
            guard let dictionary = quantization as? [String: Any] else {
                throw ModelFileError(configPath, "quantization_config is not an object")
            }
            object = dictionary
        }
        if FileManager.default.fileExists(atPath: quantizePath) {
            guard let data = FileManager.default.contents(atPath: quantizePath),
                  let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ModelFileError(quantizePath, "not a JSON object")
            }
            object = (object ?? [:]).merging(json) { _, winner in winner }
            source = quantizePath
        }
        guard let object else { return nil }
        return try GPTQSettings(object, source: source)
    }

    init(_ json: [String: Any], source: String) throws {
        self.source = source
        func string(_ key: String) -> String? { json[key] as? String }
        func integer(_ key: String) throws -> Int? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, let whole = Int(exactly: number.doubleValue) else {
                throw ModelFileError(source, "\(key) must be an integer, not \(value)")
            }
            return whole
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber else { throw ModelFileError(source, "\(key) must be true or false, not \(value)") }
            return number.boolValue
        }
        let method = string("quant_method") ?? string("method") ?? "gptq"
        guard method == "gptq" else {
            throw ModelFileError(source, "quant_method \"\(method)\" is not supported; only GPTQ checkpoints (quant_method gptq) are read")
        }
        guard let bits = try integer("bits") else { throw ModelFileError(source, "quantization_config has no bits") }
        guard bits == 4 || bits == 8 else {
            throw ModelFileError(source, "GPTQ \(bits)-bit is not supported; only 4- and 8-bit checkpoints are read")
        }
        self.bits = bits
        let group = try integer("group_size") ?? -1
        guard group == -1 || group > 0 else { throw ModelFileError(source, "group_size \(group) must be positive or -1") }
        groupSize = group == -1 ? nil : group
        actOrder = try flag("desc_act") ?? false
        symmetric = try flag("sym") ?? true
        // `format` is GPTQModel's name for the same thing; both absent means AutoGPTQ's v1.
        let format = string("checkpoint_format") ?? string("format") ?? "gptq"
        switch format {
        case "gptq": storesZeroMinusOne = true
        case "gptq_v2": storesZeroMinusOne = false
        default:
            throw ModelFileError(source, "checkpoint_format \"\(format)\" is not supported; only gptq (v1) and gptq_v2 are read")
        }
        if let pack = string("pack_dtype"), pack != "int32" {
            throw ModelFileError(source, "pack_dtype \(pack) is not supported; GPTQ tensors must be packed in int32")
        }
    }
}
