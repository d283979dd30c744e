"""A stuck client: sends a request head announcing a 1000-byte body, then 10 bytes, then nothing. Prints how long
the server took to close the connection (null if it had not after --wait seconds)."""
import argparse
import json
import socket
import time
from urllib.parse import urlparse

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--wait", type=float, default=30)
args = parser.parse_args()
address = urlparse(args.url)
sock = socket.create_connection((address.hostname, address.port))
sock.sendall(b"POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inputs\":")
started = time.time()
sock.settimeout(args.wait)
closed_after = None
answer = b""
try:
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            closed_after = time.time() - started
            break
        answer += chunk
except ConnectionResetError:
    closed_after = time.time() - started
except socket.timeout:
    pass  # still open after --wait seconds
print(json.dumps({"closed_after_s": closed_after, "answer": answer.decode(errors="replace")[:200]}))
