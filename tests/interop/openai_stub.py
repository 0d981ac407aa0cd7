"""A local stand-in for the OpenAI HTTP API, so the real ``openai`` client runs offline.

It answers ``POST /v1/chat/completions`` (plain JSON, or server-sent events when the
request says ``"stream": true``) and ``POST /v1/embeddings`` with deterministic bodies
shaped like the real API's, including ``usage`` with cached prompt tokens. A request
that offers ``tools`` is answered with a call of the first tool. Each request body is
kept in ``requests`` so tests can check what the client sent.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z: fixed, so bodies are the same on every run


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_json(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }


# What the stub answers; the tests assert these same values come out of the collector.
CHAT_ANSWER = "Your order ORD-1042 shipped on Monday and arrives on Thursday."
CHAT_USAGE = Usage(prompt_tokens=42, completion_tokens=17, cached_tokens=8)
TOOL_CALL_ID = "call_stub_0001"
TOOL_ARGUMENTS = {"order_id": "ORD-1042"}
TOOL_USAGE = Usage(prompt_tokens=87, completion_tokens=21, cached_tokens=0)
STREAM_CHUNKS = ("Streaming ", "answers ", "arrive ", "in ", "pieces.")
STREAM_ANSWER = "".join(STREAM_CHUNKS)
STREAM_USAGE = Usage(prompt_tokens=25, completion_tokens=5, cached_tokens=0)
EMBEDDING_PROMPT_TOKENS = 6
EMBEDDING_DIMENSIONS = 8


def chat_completion(request: dict[str, Any]) -> dict[str, Any]:
    """The body of a non-streaming chat completion answering ``request``."""
    model = request["model"]
    if request.get("tools"):
        function = request["tools"][0]["function"]
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": TOOL_CALL_ID,
                    "type": "function",
                    "function": {"name": function["name"], "arguments": json.dumps(TOOL_ARGUMENTS)},
                }
            ],
        }
        finish_reason, usage = "tool_calls", TOOL_USAGE
    else:
        message = {"role": "assistant", "content": CHAT_ANSWER, "refusal": None}
        finish_reason, usage = "stop", CHAT_USAGE
    return {
        "id": "chatcmpl-stub-0001",
        "object": "chat.completion",
        "created": CREATED,
        "model": _dated(model),
        "system_fingerprint": "fp_stub",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage.as_json(),
    }


def chat_completion_chunks(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a streamed chat completion (text only), usage last when asked for."""
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": "chatcmpl-stub-0002",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": _dated(request["model"]),
        "system_fingerprint": "fp_stub",
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "choices": [choice], **({"usage": None} if include_usage else {})}

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None}, None)]
    chunks += [chunk({"content": piece}, None) for piece in STREAM_CHUNKS]
    chunks.append(chunk({}, "stop"))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": STREAM_USAGE.as_json()})
    return chunks


def embedding_vector(index: int) -> list[float]:
    """The vector of the ``index``-th input; its values are exact in float32."""
    return [(index + 1) * 0.25 * (dimension + 1) for dimension in range(EMBEDDING_DIMENSIONS)]


def embeddings(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request["input"] if isinstance(request["input"], list) else [request["input"]]
    # The openai client asks for base64 (little-endian float32) unless told otherwise.
    as_base64 = request.get("encoding_format") == "base64"
    data = []
    for index in range(len(inputs)):
        vector = embedding_vector(index)
        encoded: list[float] | str = (
            base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    usage = {
        "prompt_tokens": EMBEDDING_PROMPT_TOKENS * len(inputs),
        "total_tokens": EMBEDDING_PROMPT_TOKENS * len(inputs),
    }
    return {"object": "list", "data": data, "model": request["model"], "usage": usage}


def _dated(model: str) -> str:
    """The API answers with the dated snapshot of an alias, as OpenAI does."""
    return f"{model}-2024-07-18" if model == "gpt-4o-mini" else model


class OpenAIStub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, Any]]] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OpenAIStub:
        threading.Thread(target=self.serve_forever, name="openai-stub", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OpenAIStub

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        with self.server.lock:
            self.server.requests.append((self.path, body))
        if self.path == "/v1/chat/completions" and body.get("stream"):
            self._stream(chat_completion_chunks(body))
        elif self.path == "/v1/chat/completions":
            self._json(200, chat_completion(body))
        elif self.path == "/v1/embeddings":
            self._json(200, embeddings(body))
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_stub")
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, chunks: list[dict[str, Any]]) -> None:
        # Without Content-Length the body would have no end on a keep-alive connection,
        # so the whole event stream is sent at once, sized.
        events = b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(events)))
        self.end_headers()
        self.wfile.write(events)
