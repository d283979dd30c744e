"""huggingface_hub's InferenceClient.text_generation against a TGI-compatible server: plain, with details,
streamed, streamed with details. Prints one JSON object with what each returned."""
import argparse
import json

from huggingface_hub import InferenceClient

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--prompt", required=True)
parser.add_argument("--max-new-tokens", type=int, default=8)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--temperature", type=float, default=1.0)
parser.add_argument("--top-k", type=int, default=10)
parser.add_argument("--stop", action="append", default=None)
parser.add_argument("--token", default=None)
args = parser.parse_args()

client = InferenceClient(args.url, token=args.token)
common = dict(max_new_tokens=args.max_new_tokens, do_sample=True, temperature=args.temperature, top_k=args.top_k,
              seed=args.seed, stop=args.stop)
result = {}
result["plain"] = client.text_generation(args.prompt, **common)
detailed = client.text_generation(args.prompt, details=True, **common)
result["details"] = {
    "generated_text": detailed.generated_text,
    "finish_reason": detailed.details.finish_reason,
    "generated_tokens": detailed.details.generated_tokens,
    "seed": detailed.details.seed,
    "tokens": [{"id": t.id, "text": t.text, "logprob": t.logprob, "special": t.special} for t in detailed.details.tokens],
}
result["stream_text"] = "".join(client.text_generation(args.prompt, stream=True, **common))
events = list(client.text_generation(args.prompt, stream=True, details=True, **common))
last = events[-1]
result["stream_details"] = {
    "events": len(events),
    "tokens": [{"id": e.token.id, "text": e.token.text, "logprob": e.token.logprob} for e in events],
    "generated_text": last.generated_text,
    "finish_reason": last.details.finish_reason if last.details else None,
    "generated_tokens": last.details.generated_tokens if last.details else None,
    "nulls_before_last": all(e.generated_text is None for e in events[:-1]),
}
greedy = client.text_generation(args.prompt, max_new_tokens=args.max_new_tokens, details=True)
result["greedy"] = {"generated_text": greedy.generated_text, "seed": greedy.details.seed}
print(json.dumps(result))
