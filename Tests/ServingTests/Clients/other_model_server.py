"""A stand-in for a TGI server serving a model with another tokenizer (Llama): answers /info like TGI does and
nothing else. Prints `listening on http://127.0.0.1:PORT`, serves until killed."""
import http.server
import json


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/info":
            self.send_error(404)
            return
        body = json.dumps({"model_id": "meta-llama/Llama-3.1-8B", "max_concurrent_requests": 128, "max_best_of": 2,
                           "max_stop_sequences": 4, "max_input_tokens": 4095, "max_total_tokens": 4096,
                           "validation_workers": 2, "max_client_batch_size": 4, "router": "text-generation-router",
                           "version": "3.3.6"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
