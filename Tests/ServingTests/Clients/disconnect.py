"""A client that goes away mid-stream: opens /generate_stream for many tokens, reads two events, closes the
socket. Prints the server's tgi_request_failure counter before and after, then how long a next request took."""
import argparse
import json
import socket
import time
import urllib.request
from urllib.parse import urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--new-tokens", type=int, default=1500)
args = parser.parse_args()


def metric(name):
    text = urllib.request.urlopen(args.url + "/metrics", timeout=30).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


before = metric("tgi_request_failure")
address = urlparse(args.url)
body = json.dumps({"inputs": "- Bonjour", "parameters": {"max_new_tokens": args.new_tokens, "do_sample": True,
                                                        "seed": 1}}).encode()
sock = socket.create_connection((address.hostname, address.port))
sock.sendall(b"POST /generate_stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(body)).encode() + b"\r\n\r\n" + body)
received = b""
while received.count(b"data:") < 2:
    chunk = sock.recv(4096)
    if not chunk:
        break
    received += chunk
sock.close()
closed_at = time.time()
# The sequence must be freed: the failure counter moves, and the next request does not wait for 1500 tokens.
deadline = time.time() + 30
after = before
while time.time() < deadline:
    after = metric("tgi_request_failure")
    if after > before:
        break
    time.sleep(0.05)
freed_after = time.time() - closed_at
started = time.time()
urllib.request.urlopen(urllib.request.Request(args.url + "/generate", data=json.dumps(
    {"inputs": "- Bonjour", "parameters": {"max_new_tokens": 2}}).encode(), headers={"Content-Type": "application/json"}), timeout=60).read()
print(json.dumps({"events_read": received.count(b"data:"), "failures_before": before, "failures_after": after,
                  "freed_after_s": freed_after, "next_request_s": time.time() - started,
                  "active": metric("tgi_batch_current_size"), "queued": metric("tgi_queue_size"),
                  "generated_tokens": metric("claire_generated_tokens_total")}))
