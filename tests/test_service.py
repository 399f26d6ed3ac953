import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the serve extra (FastAPI, uvicorn) is not installed")
pytest.importorskip("httpx", reason="httpx (FastAPI's test client) is not installed")

from fastapi.testclient import TestClient

from textmine.batch import Progress, classify_file
from textmine.bundle import Result
from textmine.cli import ExitStatus, main
from textmine.errors import INVALID_CHARACTERS, InputError
from textmine.service import STATUS, _Batcher, app_from_environment, create_app, exposure_warning

from conftest import write_csv

TEXTS = ["送餐太慢了，等了一个小时", "", "味道很好，非常好吃", "客服态度恶劣，答非所问", "   ", "配送快，味道也不错"]


@pytest.fixture(scope="module")
def client(tiny_model_path):
    with TestClient(create_app(tiny_model_path, max_texts=3, max_body_bytes=200_000)) as c:
        yield c


def _post(client, body: bytes, **headers):
    return client.post("/v1/analyze", content=body, headers={"Content-Type": "application/json", **headers})


def test_service_analyze_equals_classify_file(tiny_model_path, tiny_model, tmp_path):
    out = tmp_path / "out.csv"
    classify_file(write_csv(tmp_path / "in.csv", ["text"], [(t,) for t in TEXTS]), out, model=tiny_model, jobs=1,
                  progress=Progress("t", enabled=False))
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    with TestClient(create_app(tiny_model_path)) as client:
        response = client.post("/v1/analyze", json={"texts": TEXTS})
    assert response.status_code == 200
    body = response.json()
    manifest = json.loads(Path(str(tiny_model_path) + ".json").read_text(encoding="utf-8"))
    assert body["model"] == {"name": tiny_model_path.name, "sha256": manifest["sha256"]}
    rows = written.to_dict("records")
    assert [Result(**r).to_row() for r in body["results"]] == [Result.from_row(row).to_row() for row in rows]
    assert [r["text"] for r in body["results"]] == [Result.from_row(row, text=row["text"]).text for row in rows]
    assert body["results"] == [r.to_dict() for r in tiny_model.analyze(TEXTS)]


def test_service_healthz_model_and_docs(client, tiny_model_path):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["model"]["name"] == tiny_model_path.name
    manifest = json.loads(Path(str(tiny_model_path) + ".json").read_text(encoding="utf-8"))
    assert client.get("/v1/model").json() == manifest
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()["paths"]["/v1/analyze"]["post"]
    assert spec["requestBody"]["content"]["application/json"]["schema"]["properties"]["texts"]["type"] == "array"
    assert {"200", "401", "413", "422"} <= set(spec["responses"])


@pytest.mark.parametrize("body, status, code, named", [
    (b'{"texts": ["a", ', 400, "malformed_json", "not valid JSON"),
    (b"[" * 100_000, 400, "malformed_json", "not valid JSON"),
    ('{"texts": ["好评"]}'.encode("gbk"), 400, "not_utf8", "offset 12"),
    (b'["a"]', 422, "not_an_object", "got an array"),
    (b'{"text": ["a"]}', 422, "missing_texts", "'texts'"),
    (b'{"texts": ["a"], "lang": "zh"}', 422, "unknown_fields", "'lang'"),
    (b'{"texts": "a"}', 422, "not_a_list", "got a string"),
    (b'{"texts": null}', 422, "not_a_list", "got null"),
    (b'{"texts": []}', 422, "empty_list", "empty"),
    (b'{"texts": ["a", 3]}', 422, "not_a_string", "texts[1]"),
    (b'{"texts": ["a", ["b"]]}', 422, "not_a_string", "got an array"),
    (b'{"texts": ["a", "b", "c", "d"]}', 413, "too_many_texts", "at most 3"),
    (json.dumps({"texts": ["长" * 100_000]}).encode(), 413, "body_too_large", "200,000 bytes"),
])
def test_service_bad_request_gets_4xx_naming_problem(client, body, status, code, named):
    response = _post(client, body)
    assert response.status_code == status == STATUS[code]
    error = response.json()["error"]
    assert error["code"] == code and named in error["message"]


def test_service_streamed_body_too_large_is_413(client):
    def chunks():  # no Content-Length: the size is only known as the body arrives
        yield b'{"texts": ["'
        for _ in range(30):
            yield "长".encode() * 3_000
        yield b'"]}'

    response = _post(client, chunks())
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


def test_service_bad_text_gets_its_own_error_as_classify_gives_it(client, tiny_model, tmp_path):
    texts = ["送餐太慢了", "\ud800太咸了", ""]  # a lone surrogate: JSON carries it escaped
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    classify_file(source, tmp_path / "out.csv", model=tiny_model, jobs=1, progress=Progress("t", enabled=False))
    rows = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False).to_dict("records")
    response = _post(client, json.dumps({"texts": texts}).encode())
    assert response.status_code == 200
    results = response.json()["results"]
    assert [Result(**r).to_row() for r in results] == [Result.from_row(row).to_row() for row in rows]
    assert results[1]["error"] == INVALID_CHARACTERS and results[1]["categories"]
    assert results[2]["error"] == "empty text"
    assert results[0]["error"] is None and "logistics" in results[0]["categories"]


def test_service_unknown_path_and_method_get_json_errors(client):
    missing = client.get("/v2/analyze")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.get("/v1/analyze")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_service_failure_inside_the_model_is_a_json_500(tiny_model):
    class Broken:
        manifest = tiny_model.manifest

        def analyze(self, texts):
            raise RuntimeError("broken")

    with TestClient(create_app(Broken()), raise_server_exceptions=False) as client:
        response = client.post("/v1/analyze", json={"texts": ["好吃"]})
    assert response.status_code == 500
    assert response.json()["error"] == {"code": "internal_error",
                                        "message": "the service failed (RuntimeError); the server log has the details"}


def test_service_token_required_when_set(tiny_model):
    with TestClient(create_app(tiny_model, token="s3cret")) as client:
        assert client.get("/healthz").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
            for response in (client.post("/v1/analyze", json={"texts": ["好吃"]}, headers=headers),
                             client.get("/v1/model", headers=headers)):
                assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
                assert response.headers["WWW-Authenticate"] == "Bearer"
        ok = client.post("/v1/analyze", json={"texts": ["好吃"]}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and len(ok.json()["results"]) == 1


def test_service_analysis_runs_off_the_event_loop(tiny_model):
    entered, release = threading.Event(), threading.Event()

    class Slow:
        manifest = tiny_model.manifest

        def analyze(self, texts):
            entered.set()
            release.wait(timeout=30)
            return tiny_model.analyze(texts)

    with TestClient(create_app(Slow())) as client:
        answers = []
        worker = threading.Thread(target=lambda: answers.append(client.post("/v1/analyze", json={"texts": ["好吃"]})))
        worker.start()
        assert entered.wait(timeout=30)
        health = client.get("/healthz")  # answered while the analysis is still blocked
        held = not release.is_set()
        release.set()
        worker.join(timeout=30)
    assert health.status_code == 200 and held
    assert answers[0].status_code == 200


class _Gated:
    """A model whose analyze records its calls and waits until the gate opens."""

    def __init__(self, model):
        self.model, self.calls, self.gate = model, [], threading.Event()

    def analyze(self, texts):
        self.calls.append(list(texts))
        self.gate.wait(timeout=30)
        if "boom" in texts:
            raise RuntimeError("boom")
        return self.model.analyze(texts)


def test_service_waiting_requests_share_one_analysis_with_same_results(tiny_model):
    gated = _Gated(tiny_model)
    batcher = _Batcher(gated, batch_texts=5)
    try:
        first = batcher.submit(["好吃"])
        while not gated.calls:
            time.sleep(0.01)
        waiting = [["送餐太慢了", ""], ["客服态度差", "味道很好"], ["配送快", "太咸了"]]
        futures = [batcher.submit(texts) for texts in waiting]
        gated.gate.set()
        answers = [f.result(timeout=30) for f in [first, *futures]]
    finally:
        batcher.close()
    assert gated.calls == [["好吃"], waiting[0] + waiting[1], waiting[2]]  # at most 5 texts a call
    assert answers == [tiny_model.analyze(texts) for texts in [["好吃"], *waiting]]


def test_service_failing_request_does_not_fail_the_others_of_its_batch(tiny_model):
    gated = _Gated(tiny_model)
    batcher = _Batcher(gated)
    try:
        first = batcher.submit(["好吃"])
        while not gated.calls:
            time.sleep(0.01)
        good, bad = batcher.submit(["送餐太慢了"]), batcher.submit(["boom"])
        gated.gate.set()
        assert first.result(timeout=30) == tiny_model.analyze(["好吃"])
        assert good.result(timeout=30) == tiny_model.analyze(["送餐太慢了"])
        with pytest.raises(RuntimeError, match="boom"):
            bad.result(timeout=30)
    finally:
        batcher.close()


def test_service_app_from_environment_reads_settings(tiny_model_path, monkeypatch):
    monkeypatch.setenv("TEXTMINE_SERVE_CONFIG", json.dumps(
        {"model": str(tiny_model_path), "max_texts": 2, "max_body_bytes": 1_000, "token": None, "trust_pickle": False}))
    with TestClient(app_from_environment()) as client:
        assert client.post("/v1/analyze", json={"texts": ["a", "b", "c"]}).status_code == 413
        assert client.post("/v1/analyze", json={"texts": ["a", "b"]}).status_code == 200


def test_service_create_app_rejects_bad_limits(tiny_model):
    with pytest.raises(InputError, match="max_texts=0"):
        create_app(tiny_model, max_texts=0)
    with pytest.raises(InputError, match="max_body_bytes=1.5"):
        create_app(tiny_model, max_body_bytes=1.5)


def test_service_cli_forwards_options_and_warns_on_public_address(monkeypatch, capsys):
    import textmine.service

    calls = []
    monkeypatch.setattr(textmine.service, "serve", lambda model, **kw: calls.append((model, kw)))
    monkeypatch.delenv("TEXTMINE_API_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123", "--workers", "3", "--max-body-mb", "0.5"]) == 0
    assert "0.0.0.0" in capsys.readouterr().err
    assert calls == [(None, {"host": "0.0.0.0", "port": 8123, "workers": 3, "max_texts": 1000,
                             "max_body_bytes": 524_288, "token": None, "trust_pickle": False, "access_log": True})]
    monkeypatch.setenv("TEXTMINE_API_TOKEN", "s3cret")
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert calls[-1][1]["token"] == "s3cret" and capsys.readouterr().err == ""


def test_service_cli_bad_settings_and_missing_extra_are_one_line_errors(monkeypatch, capsys):
    import textmine

    assert main(["serve", "--workers", "0"]) == ExitStatus.ERROR
    err = capsys.readouterr().err
    assert "workers=0" in err and "Traceback" not in err
    for name in ("fastapi", "uvicorn"):  # as if the serve extra were not installed
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "textmine.service")
    monkeypatch.delattr(textmine, "service")
    assert main(["serve"]) == ExitStatus.ERROR
    assert "pip install 'textmine[serve]'" in capsys.readouterr().err


@pytest.mark.parametrize("host, token, warns", [
    ("127.0.0.1", None, False), ("localhost", None, False), ("::1", None, False), ("127.0.0.2", None, False),
    ("0.0.0.0", None, True), ("::", None, True), ("192.168.1.5", None, True), ("example.org", None, True),
    ("0.0.0.0", "s3cret", False),
])
def test_service_exposure_warning_only_public_without_token(host, token, warns):
    warning = exposure_warning(host, 8123, token)
    assert (warning is not None) == warns
    if warns:
        assert host in warning and "8123" in warning and "TEXTMINE_API_TOKEN" in warning


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_service_real_server_answers_and_finishes_inflight_request_on_sigterm(tiny_model_path):
    import httpx

    port = _free_port()
    env = {**os.environ, "TEXTMINE_API_TOKEN": "s3cret"}
    server = subprocess.Popen([sys.executable, "-m", "textmine", "serve", "--port", str(port), "--model",
                               str(tiny_model_path), "--no-access-log"], env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=120).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        auth = {"Authorization": "Bearer s3cret"}
        answer = httpx.post(f"{base}/v1/analyze", json={"texts": TEXTS}, headers=auth, timeout=120)
        assert answer.status_code == 200 and len(answer.json()["results"]) == len(TEXTS)
        assert httpx.post(f"{base}/v1/analyze", json={"texts": TEXTS}, timeout=120).status_code == 401

        # a request in flight when SIGTERM arrives: headers and half the body sent
        body = json.dumps({"texts": TEXTS[:1]}).encode()
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(f"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:10])
            time.sleep(0.5)
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(body[10:])
            conn.settimeout(30)
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert json.loads(payload)["results"] == answer.json()["results"][:1]
        # uvicorn ends by raising the signal it caught again, after its graceful shutdown
        assert server.wait(timeout=60) == -signal.SIGTERM
        log = server.stderr.read()
        assert "Finished server process" in log and "Traceback" not in log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
