"""``tracer.score()``: where a score goes by default, what is refused before sending, and the
background sender against a small recording HTTP server (real sockets): batching, a refused
batch sent again one by one, 503 retried, an unreachable collector counted and never raised."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import tracer
from tracer._internal import scores as scores_module
from tracer._internal.api import api_base
from tracer.testing import capture

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Recorder:
    """Answers POSTs with ``answer(path, body) -> status`` (201 by default) and keeps them."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.answer: Callable[[str, Any], int] = lambda path, body: 201
        self.lock = threading.Lock()

    @property
    def scores(self) -> list[dict[str, Any]]:
        """Scores the server accepted (201), in arrival order."""
        accepted = []
        for path, body, status in self.answered:
            if status == 201:
                accepted += body["scores"] if path.endswith("/batch") else [body]
        return accepted

    answered: list[tuple[str, Any, int]]


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    recorder.answered = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            status = recorder.answer(self.path, body)
            with recorder.lock:
                recorder.requests.append((self.path, body))
                recorder.answered.append((self.path, body, status))
            self.send_response(status)
            self.send_header("content-type", "application/json")
            if status == 503:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b'{"detail": "refused on purpose"}' if status >= 400 else b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", recorder
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


def test_the_api_base_is_the_endpoint_without_its_traces_path() -> None:
    assert api_base("http://collector:4318/v1/traces") == "http://collector:4318"
    assert api_base("https://x.example/spanscope/v1/traces/") == "https://x.example/spanscope"
    assert api_base("http://h:3000/api/public/otel/v1/traces") == "http://h:3000"


def test_a_score_goes_on_the_current_span_by_default(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    with capture(endpoint=url + "/v1/traces") as spans:

        @tracer.chain
        def answer() -> str:
            tracer.score("helpful", True, comment="solved it")
            tracer.score("tone", "friendly", span_id=None)
            tracer.score("correctness", 0.5, trace_id=TRACE)
            tracer.score("latency_ok", 1, trace_id=TRACE, span_id="00f067aa0ba902b7", source="code", author="ci")
            return "ok"

        answer()
        assert tracer.flush(10)
        span = spans.named("answer")
    by_name = {score["name"]: score for score in recorder.scores}
    assert by_name["helpful"] == {
        "id": by_name["helpful"]["id"],
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "name": "helpful",
        "value": True,
        "source": "sdk",
        "comment": "solved it",
    }
    assert (by_name["tone"]["trace_id"], by_name["tone"]["span_id"], by_name["tone"]["value"]) == (
        span.trace_id,
        None,
        "friendly",
    )
    assert (by_name["correctness"]["trace_id"], by_name["correctness"]["span_id"]) == (TRACE, None)
    assert by_name["latency_ok"]["span_id"] == "00f067aa0ba902b7" and by_name["latency_ok"]["author"] == "ci"
    assert len({score["id"] for score in recorder.scores}) == 4  # ids chosen by the SDK: resends are harmless
    assert len(recorder.requests) <= 2  # batched


def test_score_returns_its_id_and_takes_one(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    with capture(endpoint=url + "/v1/traces"), tracer.start_span("work"):
        assert tracer.score("a", 1, id="my-key") == "my-key"
        generated = tracer.score("b", 2)
        assert tracer.flush(10)
    assert generated is not None and len(generated) == 32
    assert [score["id"] for score in recorder.scores] == ["my-key", generated]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("nan")])
def test_nan_and_infinite_values_are_refused_before_sending(value: float) -> None:
    with pytest.raises(ValueError, match="finite number"):
        tracer.score("quality", value, trace_id=TRACE)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"value": None}, TypeError, "number, a bool or a str"),
        ({"value": [1]}, TypeError, "number, a bool or a str"),
        ({"value": ""}, ValueError, "1 to 200"),
        ({"trace_id": "not-a-trace"}, ValueError, "32 hex digits"),
        ({"span_id": "xyz"}, ValueError, "16 hex digits"),
        ({"source": "robot"}, ValueError, "source must be one of"),
        ({"name": ""}, ValueError, "name must be"),
        ({"comment": "x" * 10_001}, ValueError, "10,000"),
    ],
)
def test_bad_arguments_raise_before_sending(
    server: tuple[str, Recorder], arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    url, recorder = server
    call: dict[str, Any] = {"name": "quality", "value": 1, "trace_id": TRACE, **arguments}
    with capture(endpoint=url + "/v1/traces"):
        with pytest.raises(error, match=message):
            tracer.score(call.pop("name"), call.pop("value"), **call)
        assert tracer.flush(10)
    assert recorder.requests == []


def test_no_current_trace_is_an_error_while_tracing_is_on(server: tuple[str, Recorder]) -> None:
    url, _ = server
    with capture(endpoint=url + "/v1/traces"), pytest.raises(ValueError, match=r"no current trace; .* trace_id="):
        tracer.score("helpful", True)


def test_with_the_sdk_off_a_score_is_a_no_op() -> None:
    tracer.shutdown()
    assert tracer.score("helpful", True) is None
    with pytest.raises(ValueError, match="finite"):  # argument errors show even then
        tracer.score("helpful", math.nan)


def test_a_sampled_out_trace_gets_no_score(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    with capture(endpoint=url + "/v1/traces", sample_rate=0.0), tracer.start_span("dropped"):
        assert tracer.score("helpful", True) is None
    assert recorder.requests == []


def test_a_refused_batch_is_sent_again_one_by_one(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    # The collector refuses a batch holding "bad" (all or nothing) and the single "bad".
    recorder.answer = lambda path, body: 400 if "bad" in json.dumps(body) else 201
    before = tracer._internal.scores.score_stats()
    with capture(endpoint=url + "/v1/traces"), tracer.start_span("work"):
        for name in ("first", "bad", "last"):
            tracer.score(name, 1)
        assert tracer.flush(10) is False  # one was lost, and flush says so
    after = tracer._internal.scores.score_stats()
    assert sorted(score["name"] for score in recorder.scores) == ["first", "last"]
    assert after.failed - before.failed == 1


def test_a_busy_collector_is_retried(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    answers = iter([503, 503])
    recorder.answer = lambda path, body: next(answers, 201)
    with capture(endpoint=url + "/v1/traces"), tracer.start_span("work"):
        tracer.score("helpful", True)
        assert tracer.flush(10)
    assert [score["name"] for score in recorder.scores] == ["helpful"]
    assert len(recorder.requests) == 3


def test_an_unreachable_collector_never_reaches_the_application(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scores_module, "RETRY_FOR", 0.3)
    before = scores_module.score_stats()
    with capture(endpoint="http://127.0.0.1:9/v1/traces"), tracer.start_span("work"):  # port 9: refused
        tracer.score("helpful", True)
        assert tracer.flush(20) is False
    after = scores_module.score_stats()
    assert (after.failed - before.failed, after.queued) == (1, 0)
