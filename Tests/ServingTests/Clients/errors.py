"""Every kind of bad input against the server, raw (status, body, Retry-After) and through the real clients
(which exception they raise). Prints one JSON object keyed by case."""
import argparse
import json
import urllib.error
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--context", type=int, required=True)
args = parser.parse_args()


def post(path, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(args.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return {"status": response.status, "body": json.loads(response.read() or b"null")}
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        return {"status": error.code, "body": body, "retry_after": error.headers.get("Retry-After")}


long_prompt = "- Bonjour, " * args.context
cases = {
    "tgi_malformed": post("/generate", b'{"inputs": "- Bonjour", '),
    "tgi_wrong_type": post("/generate", {"inputs": "- Bonjour", "parameters": {"max_new_tokens": "ten"}}),
    "tgi_bad_temperature": post("/generate", {"inputs": "- Bonjour", "parameters": {"temperature": 0}}),
    "tgi_bad_top_p": post("/generate", {"inputs": "- Bonjour", "parameters": {"top_p": 1.5}}),
    "tgi_too_many_stops": post("/generate", {"inputs": "- Bonjour", "parameters": {"stop": ["a", "b", "c", "d", "e"]}}),
    "tgi_empty_inputs": post("/generate", {"inputs": ""}),
    "tgi_prompt_too_long": post("/generate", {"inputs": long_prompt, "parameters": {"max_new_tokens": 5}}),
    "tgi_max_new_tokens_too_many": post("/generate", {"inputs": "- Bonjour", "parameters": {"max_new_tokens": args.context}}),
    "tgi_body_too_large": post("/generate", {"inputs": "x" * (2 << 20)}),
    "openai_malformed": post("/v1/completions", b"{nope"),
    "openai_wrong_type": post("/v1/completions", {"model": "m", "prompt": 12.5}),
    "openai_prompt_too_long": post("/v1/completions", {"model": "m", "prompt": long_prompt, "max_tokens": 5}),
    "openai_suffix": post("/v1/completions", {"model": "m", "prompt": "- Bonjour", "suffix": "x"}),
}

# The real clients' view of a validation error.
from huggingface_hub import InferenceClient
from huggingface_hub.errors import ValidationError as HFValidationError
from openai import BadRequestError, OpenAI

try:
    InferenceClient(args.url).text_generation("- Bonjour", max_new_tokens=args.context)
    cases["hf_client_validation"] = {"raised": None}
except HFValidationError as error:
    cases["hf_client_validation"] = {"raised": "ValidationError", "message": str(error)}
except Exception as error:  # noqa: BLE001 - report what was raised instead
    cases["hf_client_validation"] = {"raised": type(error).__name__, "message": str(error)}
try:
    OpenAI(base_url=args.url + "/v1", api_key="x", max_retries=0).completions.create(model="m", prompt=long_prompt, max_tokens=5)
    cases["openai_client_validation"] = {"raised": None}
except BadRequestError as error:
    cases["openai_client_validation"] = {"raised": "BadRequestError", "code": error.code, "message": error.message}
print(json.dumps(cases))
