"""Load client for benchmarks and the bounded load test: CLIENTS threads send REQUESTS streamed completions in
all, each with a prompt of about PROMPT_TOKENS tokens and NEW_TOKENS new tokens, and the aggregate is printed as
JSON: answered, failed, generated tokens/s and time-to-first-token percentiles. Standard library only, so it
runs anywhere. --api picks the wire format: tgi (/generate_stream), openai (/v1/completions) or llama
(llama.cpp's /completion); claire-pipeline serve speaks the first two, llama-server the last two.

  python3 load.py --url http://127.0.0.1:8080 --clients 8 --requests 64 --prompt-tokens 500 --new-tokens 128
"""
import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--requests", type=int, default=32)
parser.add_argument("--prompt-tokens", type=int, default=500)
parser.add_argument("--new-tokens", type=int, default=128)
parser.add_argument("--api", choices=["tgi", "openai", "llama"], default="openai")
parser.add_argument("--api-key", default=None)
parser.add_argument("--timeout", type=float, default=600)
args = parser.parse_args()

address = urlparse(args.url)
WORDS = "bonjour à tous merci d'être venus aujourd'hui nous allons parler du budget de la commune".split()
# Falcon's tokenizer makes 22 tokens of every run of these 15 words, whichever word it starts at, and 6 of the
# speaker tag (`claire-pipeline tokenize --jsonl --count`): so many words make --prompt-tokens. (Until
# 2026-12-07 this took one token per word, and --prompt-tokens 500 sent prompts of 727 tokens.)
TOKENS_PER_CYCLE, TAG_TOKENS = 22, 6


def prompt_for(index):
    count = max(round((args.prompt_tokens - TAG_TOKENS) * len(WORDS) / TOKENS_PER_CYCLE), 1)
    words = [WORDS[(index + i) % len(WORDS)] for i in range(count)]
    return f"[Intervenant {index % 4 + 1}:] " + " ".join(words)


def request_body(index):
    prompt = prompt_for(index)
    if args.api == "tgi":
        return "/generate_stream", {"inputs": prompt, "parameters": {"max_new_tokens": args.new_tokens, "do_sample": True,
                                                                      "top_k": 10, "seed": index}}
    if args.api == "openai":
        return "/v1/completions", {"model": "default", "prompt": prompt, "max_tokens": args.new_tokens, "stream": True,
                                   "seed": index, "top_k": 10, "ignore_eos": True}
    return "/completion", {"prompt": prompt, "n_predict": args.new_tokens, "stream": True, "seed": index, "top_k": 10,
                           "cache_prompt": False, "ignore_eos": True}


def one(index):
    """Sends one streamed request; returns (time to first token, tokens, error)."""
    path, body = request_body(index)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=args.timeout)
    headers = {"Content-Type": "application/json"}
    if args.api_key:
        headers["Authorization"] = "Bearer " + args.api_key
    started = time.perf_counter()
    first = None
    tokens = 0
    try:
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            return None, 0, f"HTTP {response.status}: {response.read()[:200]!r}"
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            event = json.loads(payload)
            if "error" in event:
                return None, tokens, str(event["error"])
            if args.api == "tgi":
                counted = 1
            elif args.api == "openai":
                counted = 1 if event.get("choices") and (event["choices"][0].get("text") or event["choices"][0].get("finish_reason") is None) else 0
            else:
                counted = 0 if event.get("stop") else 1
            if counted and first is None:
                first = time.perf_counter() - started
            tokens += counted
        return first, tokens, None
    except Exception as error:  # noqa: BLE001 - every failure counts as a lost request
        return None, tokens, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


results = []
lock = threading.Lock()
next_index = [0]


def worker():
    while True:
        with lock:
            index = next_index[0]
            if index >= args.requests:
                return
            next_index[0] += 1
        outcome = one(index)
        with lock:
            results.append(outcome)


began = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(args.clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
wall = time.perf_counter() - began

ttfts = sorted(r[0] for r in results if r[2] is None and r[0] is not None)


def percentile(values, p):
    if not values:
        return None
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


generated = sum(r[1] for r in results if r[2] is None)
print(json.dumps({
    "api": args.api, "clients": args.clients, "requests": args.requests, "answered": sum(1 for r in results if r[2] is None),
    "failed": sum(1 for r in results if r[2] is not None), "errors": sorted({r[2] for r in results if r[2]})[:5],
    "generated_tokens": generated, "wall_s": round(wall, 3), "tokens_per_s": round(generated / wall, 2) if wall > 0 else None,
    "ttft_p50_s": percentile(ttfts, 50), "ttft_p99_s": percentile(ttfts, 99),
}))
