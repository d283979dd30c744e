/// Falcon's tensor names in each file family: the one table the engine reads by and the GGUF
/// converter writes by. Per layer, `block(i)` + a part + ".weight" or ".bias".
public struct FalconTensorNames: Sendable {
    public var embedding: String
    public var block: @Sendable (Int) -> String
    public var singleNorm: String
    public var attentionNormOfTwo: String
    public var mlpNormOfTwo: String
    public var postAttentionNorm: String
    public var qkv: String
    public var dense: String
    public var up: String
    public var down: String
    public var finalNorm: String
    public var output: String

    public static let huggingFace = FalconTensorNames(
        embedding: "transformer.word_embeddings.weight", block: { "transformer.h.\($0)." },
        singleNorm: "input_layernorm", attentionNormOfTwo: "ln_attn", mlpNormOfTwo: "ln_mlp",
        postAttentionNorm: "post_attention_layernorm", qkv: "self_attention.query_key_value",
        dense: "self_attention.dense", up: "mlp.dense_h_to_4h", down: "mlp.dense_4h_to_h",
        finalNorm: "transformer.ln_f", output: "lm_head.weight")

    /// llama.cpp maps 40B's `ln_mlp` to `attn_norm` and `ln_attn` to `attn_norm_2`.
    public static let gguf = FalconTensorNames(
        embedding: "token_embd.weight", block: { "blk.\($0)." },
        singleNorm: "attn_norm", attentionNormOfTwo: "attn_norm_2", mlpNormOfTwo: "attn_norm",
        postAttentionNorm: "ffn_norm", qkv: "attn_qkv", dense: "attn_output", up: "ffn_up", down: "ffn_down",
        finalNorm: "output_norm", output: "output.weight")
}
