"""API key and queue limits: a server started with a key and a small queue. Prints one JSON object."""
import argparse
import json
import threading
import urllib.error
import urllib.request

from openai import AuthenticationError, OpenAI

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--parallel", type=int, default=8)
args = parser.parse_args()


def call(path, body=None, key=None):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = "Bearer " + key
    request = urllib.request.Request(args.url + path, data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return {"status": response.status, "body": response.read().decode()}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": error.read().decode(), "retry_after": error.headers.get("Retry-After")}


result = {
    "health_without_key": call("/health")["status"],
    "generate_without_key": call("/generate", {"inputs": "- Bonjour"}),
    "generate_wrong_key": call("/generate", {"inputs": "- Bonjour"}, key="wrong"),
    "openai_wrong_key": call("/v1/completions", {"model": "m", "prompt": "- Bonjour"}, key="wrong"),
    "generate_with_key": call("/generate", {"inputs": "- Bonjour", "parameters": {"max_new_tokens": 2}}, key=args.key)["status"],
}
try:
    OpenAI(base_url=args.url + "/v1", api_key="wrong", max_retries=0).completions.create(model="m", prompt="- Bonjour")
    result["openai_client_auth"] = None
except AuthenticationError as error:
    result["openai_client_auth"] = "AuthenticationError"

# More simultaneous requests than sequences + queue: some must be refused with 429 and Retry-After, none lost.
statuses = []
lock = threading.Lock()


def one():
    answer = call("/generate", {"inputs": "- Bonjour", "parameters": {"max_new_tokens": 40}}, key=args.key)
    with lock:
        statuses.append(answer)


threads = [threading.Thread(target=one) for _ in range(args.parallel)]
for t in threads:
    t.start()
for t in threads:
    t.join()
result["burst"] = {
    "ok": sum(1 for s in statuses if s["status"] == 200),
    "refused": sum(1 for s in statuses if s["status"] == 429),
    "retry_after": sorted({s.get("retry_after") for s in statuses if s["status"] == 429}),
    "other": [s for s in statuses if s["status"] not in (200, 429)],
}
print(json.dumps(result))
