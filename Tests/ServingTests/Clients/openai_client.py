"""openai's completions.create against an OpenAI-compatible server, plain and streamed. Prints one JSON object."""
import argparse
import json

from openai import OpenAI

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True, help="the server's base URL, without /v1")
parser.add_argument("--prompt", required=True)
parser.add_argument("--max-tokens", type=int, default=8)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--api-key", default="unused")
args = parser.parse_args()

client = OpenAI(base_url=args.url + "/v1", api_key=args.api_key, max_retries=0)
model = client.models.list().data[0].id
common = dict(model=model, prompt=args.prompt, max_tokens=args.max_tokens, seed=args.seed, temperature=1.0,
              extra_body={"top_k": 10})
plain = client.completions.create(**common)
result = {
    "model": model,
    "plain": {"text": plain.choices[0].text, "finish_reason": plain.choices[0].finish_reason, "object": plain.object,
              "usage": plain.usage.model_dump() if plain.usage else None, "id": plain.id},
}
chunks = list(client.completions.create(stream=True, **common))
result["stream"] = {
    "text": "".join(c.choices[0].text for c in chunks if c.choices),
    "chunks": len(chunks),
    "finish_reason": [c.choices[0].finish_reason for c in chunks if c.choices][-1],
}
two = client.completions.create(n=2, **common)
result["n2"] = sorted((c.index, c.text) for c in two.choices)
greedy = client.completions.create(model=model, prompt=args.prompt, max_tokens=args.max_tokens, temperature=0)
result["greedy"] = greedy.choices[0].text
print(json.dumps(result))
