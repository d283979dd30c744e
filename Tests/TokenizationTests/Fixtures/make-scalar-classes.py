# The oracle for Falcon's character classes, from Hugging Face tokenizers itself: Oniguruma's \p{L}, \p{N}, \s
# (the GPT-2 regex's classes) and the Punctuation pre-tokenizer. Run-length encoded, one "start end class"
# line per run (hex); classes: P punctuation, L letter, N number, S whitespace, O other.
from tokenizers import pre_tokenizers, Regex
import tokenizers
cps = [c for c in range(0x110000) if not (0xD800 <= c <= 0xDFFF)]
text = "".join(chr(c) for c in cps)

def members(pre):
    # With behavior "removed", members vanish: they are the characters no piece covers.
    covered = bytearray(len(cps))
    for piece, (s, e) in pre.pre_tokenize_str(text):
        covered[s:e] = b"\x01" * (e - s)
    return {i for i in range(len(cps)) if not covered[i]}

L = members(pre_tokenizers.Split(Regex(r"\p{L}"), behavior="removed"))
N = members(pre_tokenizers.Split(Regex(r"\p{N}"), behavior="removed"))
S = members(pre_tokenizers.Split(Regex(r"\s"), behavior="removed"))
P = members(pre_tokenizers.Punctuation(behavior="removed"))
classes = ["P" if i in P else "L" if i in L else "N" if i in N else "S" if i in S else "O" for i in range(len(cps))]
runs, start = [], 0
for i in range(1, len(cps) + 1):
    if i == len(cps) or classes[i] != classes[start] or cps[i] != cps[i - 1] + 1:
        runs.append((cps[start], cps[i - 1], classes[start]))
        start = i
with open("falcon-scalar-classes.txt", "w") as f:
    f.write(f"# made by Hugging Face tokenizers {tokenizers.__version__} (see Tests/TokenizationTests/Fixtures/SOURCE.md)\n")
    for a, b, k in runs:
        f.write(f"{a:X} {b:X} {k}\n")
print(len(runs), len(L), len(N), len(S), len(P))
