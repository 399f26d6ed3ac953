"""The HTTP service behind ``textmine serve``: comments in, categories out, for callers
that do not write Python.

Endpoints (the app of :func:`create_app`; OpenAPI docs at ``/docs``):

``POST /v1/analyze``
    ``{"texts": ["...", ...]}`` -> ``{"model": {"name", "sha256"}, "results": [...]}``,
    one result per text, in order, each :meth:`textmine.Result.to_dict`: the values that
    ``textmine classify`` writes for the same text. A text that cannot be analysed
    (empty) or had to be repaired (a lone surrogate) gets its own ``error``; the others
    are not affected.
``GET /v1/model``
    The manifest of the loaded model.
``GET /healthz``
    200 once the model is loaded (the app is built only after it is).

A request the service cannot use never gets a 500: it gets the status of its kind of
problem in :data:`STATUS` (400 not UTF-8 or not JSON, 401 without the token, 413 over a
limit, 422 wrong shape) and ``{"error": {"code": ..., "message": ...}}``. The body is
never kept beyond its limit. Parsing and encoding run in worker threads and analysis in
one analysis thread (concurrent requests are analysed together), never on the event loop.

Requires the ``serve`` extra (FastAPI and uvicorn).
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import os
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

from .errors import (
    BODY_TOO_LARGE, EMPTY_LIST, INTERNAL_ERROR, INVALID_CHARACTERS, MALFORMED_JSON, MISSING_EXTRA, MISSING_TEXTS, NOT_A_LIST,
    NOT_A_STRING, NOT_AN_OBJECT, NOT_POSITIVE, NOT_UTF8, PUBLIC_WITHOUT_TOKEN, TOO_MANY_TEXTS, UNAUTHORIZED,
    UNKNOWN_FIELDS, InputError, MissingDependencyError, RequestError,
)

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import JSONResponse, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from pydantic import BaseModel, Field
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
except ImportError as exc:  # the serve extra is not installed
    raise MissingDependencyError(MISSING_EXTRA) from exc

__all__ = ["STATUS", "create_app", "app_from_environment", "serve", "parse_texts", "exposure_warning"]

#: HTTP status of every kind of bad request (``RequestError.code``).
STATUS: dict[str, int] = {
    "not_utf8": 400,
    "malformed_json": 400,
    "unauthorized": 401,
    "body_too_large": 413,
    "too_many_texts": 413,
    "not_an_object": 422,
    "missing_texts": 422,
    "unknown_fields": 422,
    "not_a_list": 422,
    "empty_list": 422,
    "not_a_string": 422,
}

MAX_TEXTS = 1_000
MAX_BODY_BYTES = 2 * 1024 * 1024
_DRAIN_FACTOR = 16  # a body over the limit is read and dropped up to this many times the limit
_STOP = object()  # tells the analysis thread to end
_CONFIG_ENV = "TEXTMINE_SERVE_CONFIG"  # how `serve` hands its settings to worker processes
_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


class AnalyzeRequest(BaseModel):
    texts: list[str] = Field(min_length=1, description="the comments, at most the server's --max-texts")


class ModelInfo(BaseModel):
    name: str = Field(description="the model file's name")
    sha256: str | None = Field(description="SHA-256 of the model file, from its manifest")


class Analysis(BaseModel):
    text: str = Field(description="the normalised comment (personal data masked)")
    categories: dict[str, int] = Field(description="category -> polarity (-1, 0, 1), most probable first")
    probabilities: dict[str, float] = Field(description="category -> probability, for the categories found")
    evidence: dict[str, str] = Field(description="category -> the clause that raised it")
    sentiment: float = Field(description="probability that the comment is positive, in [0, 1]")
    sentiment_label: str = Field(description="negative (< 0.4), neutral or positive (> 0.6)")
    error: str | None = Field(description="why the text could not be analysed, else null")


class AnalyzeResponse(BaseModel):
    model: ModelInfo
    results: list[Analysis] = Field(description="one per text, in order")


class Health(BaseModel):
    status: str
    model: ModelInfo


class Problem(BaseModel):
    code: str = Field(description="the kind of problem, e.g. too_many_texts")
    message: str = Field(description="what is wrong, naming the field or limit")


class ErrorBody(BaseModel):
    error: Problem


def _kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def parse_texts(body: bytes, *, max_texts: int = MAX_TEXTS) -> list[str]:
    """The texts of a ``POST /v1/analyze`` body.

    Parameters
    ----------
    body : bytes
        ``{"texts": [string, ...]}`` in UTF-8 (a BOM is allowed).
    max_texts : int, default=1000
        Most texts allowed.

    Returns
    -------
    list of str
        The texts, in order (empty or odd texts included: they get their own error later).

    Raises
    ------
    RequestError
        With ``code`` ``not_utf8``, ``malformed_json``, ``not_an_object``,
        ``missing_texts``, ``unknown_fields``, ``not_a_list``, ``empty_list``,
        ``too_many_texts`` or ``not_a_string`` (the first item that is not a string).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError("not_utf8", NOT_UTF8.format(offset=exc.start)) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested too deep
        raise RequestError("malformed_json", MALFORMED_JSON.format(detail=exc)) from None
    if not isinstance(data, dict):
        raise RequestError("not_an_object", NOT_AN_OBJECT.format(kind=_kind(data)))
    if "texts" not in data:
        raise RequestError("missing_texts", MISSING_TEXTS)
    if len(data) > 1:
        raise RequestError("unknown_fields", UNKNOWN_FIELDS.format(names=", ".join(map(repr, sorted(set(data) - {"texts"})))))
    texts = data["texts"]
    if not isinstance(texts, list):
        raise RequestError("not_a_list", NOT_A_LIST.format(kind=_kind(texts)))
    if not texts:
        raise RequestError("empty_list", EMPTY_LIST)
    if len(texts) > max_texts:
        raise RequestError("too_many_texts", TOO_MANY_TEXTS.format(count=len(texts), limit=max_texts))
    for index, item in enumerate(texts):
        if not isinstance(item, str):
            raise RequestError("not_a_string", NOT_A_STRING.format(index=index, kind=_kind(item)))
    return texts


def _analyze(model, texts: Sequence[str]) -> list:
    """One :class:`Result` per text, in order, as ``classify`` gives them. A lone surrogate
    (JSON can carry one, no file can) becomes U+FFFD and the text's ``error`` says so,
    as when ``classify`` reads it from a JSON-lines file."""
    from dataclasses import replace

    from .io import _clean_cell  # the one home of that rule

    cleaned = [_clean_cell(t) for t in texts]
    results = model.analyze([t for t, _ in cleaned])
    return [replace(r, error=INVALID_CHARACTERS) if bad else r for r, (_, bad) in zip(results, cleaned)]


class _Batcher:
    """Runs the model in one thread of its own, on the texts of all the requests waiting
    at that moment together (up to ``batch_texts`` texts): ``analyze`` has a fixed cost
    per call (tens of milliseconds) that concurrent requests then share, and the model is
    never used by two threads at once. Results are the same as one call per request."""

    def __init__(self, model, batch_texts: int = 1_000):
        self.model = model
        self.batch_texts = batch_texts
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, texts: list[str]) -> Future:
        """A future of the :class:`Result` list of ``texts``; starts the thread if needed."""
        future: Future = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="textmine-analysis", daemon=True)
                self._thread.start()
            self._queue.put((texts, future))
        return future

    def close(self) -> None:
        """Stop the thread once the requests already submitted are answered."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        held = []  # taken from the queue, but did not fit into the last batch
        while True:
            item = held.pop() if held else self._queue.get()
            if item is _STOP:
                return
            batch, size = [item], len(item[0])
            while size < self.batch_texts:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP or size + len(item[0]) > self.batch_texts:
                    held.append(item)
                    break
                batch.append(item)
                size += len(item[0])
            self._answer([(texts, future) for texts, future in batch if future.set_running_or_notify_cancel()])

    def _answer(self, batch: list[tuple[list[str], Future]]) -> None:
        try:
            results = _analyze(self.model, [text for texts, _ in batch for text in texts])
        except Exception as exc:  # handed to the request that waits for it
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for one in batch:  # only the request at fault fails
                self._answer([one])
            return
        start = 0
        for texts, future in batch:
            future.set_result(results[start:start + len(texts)])
            start += len(texts)


def _answer(info: dict, results: list) -> bytes:
    return _encode({"model": info, "results": [r.to_dict() for r in results]})


def _encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _error_response(status: int, code: str, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 413:
        headers["Connection"] = "close"  # a body past the drain bound is left unread
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, or :class:`RequestError` ``body_too_large`` when its declared or
    its received size passes ``limit``. A body over the limit is read to its end (up to
    :data:`_DRAIN_FACTOR` times the limit) but not kept: a client that sends its whole
    body before it reads the answer (most do) then gets the 413 instead of a reset
    connection."""
    declared = request.headers.get("content-length", "")
    too_large = declared.isdigit() and int(declared) > limit
    body = bytearray()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        too_large = too_large or received > limit
        if not too_large:
            body += chunk
        elif received > _DRAIN_FACTOR * limit:
            break
    if too_large:
        raise RequestError("body_too_large", BODY_TOO_LARGE.format(limit=limit))
    return bytes(body)


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(NOT_POSITIVE.format(name=name, value=value))


def _load(model, trust_pickle: bool) -> tuple[object, str]:
    """The model bundle and the name the service reports for it."""
    from .bundle import DEFAULT_MODEL, load_model

    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(model, trust_pickle=trust_pickle), Path(model).name if model is not None else DEFAULT_MODEL
    return model, str(model.manifest.get("name", "in-memory model"))


def create_app(model=None, *, max_texts: int = MAX_TEXTS, max_body_bytes: int = MAX_BODY_BYTES,
               token: str | None = None, trust_pickle: bool = False) -> FastAPI:
    """Build the service's ASGI app around one loaded model.

    Parameters
    ----------
    model : ModelBundle, str or Path, optional
        A loaded model, or the path of a model file to load now (checked against its
        manifest); default: the shipped model.
    max_texts : int, default=1000
        Most texts in one request; more gets 413.
    max_body_bytes : int, default=2 MiB
        Largest request body; a larger one (by its ``Content-Length`` or by what
        arrives) gets 413, and no more than this is ever kept in memory.
    token : str, optional
        When given, ``/v1/*`` requires ``Authorization: Bearer <token>`` (else 401);
        ``/healthz`` and the docs stay open.
    trust_pickle : bool, default=False
        Also load a model file of the old pickle format (see :func:`textmine.load_model`).

    Returns
    -------
    fastapi.FastAPI

    Raises
    ------
    ModelError
        When the model file cannot be loaded (see :meth:`ModelBundle.load`).
    InputError
        When ``max_texts`` or ``max_body_bytes`` is not a positive integer.
    """
    from . import __version__

    _check_positive("max_texts", max_texts)
    _check_positive("max_body_bytes", max_body_bytes)
    bundle, name = _load(model, trust_pickle)
    info = {"name": name, "sha256": bundle.manifest.get("sha256")}
    problems = {status: {"model": ErrorBody} for status in sorted(set(STATUS.values()))}

    async def authorize(credentials: HTTPAuthorizationCredentials | None = Depends(HTTPBearer(auto_error=False))):
        given = (credentials.credentials if credentials else "").encode("utf-8")
        if not hmac.compare_digest(given, token.encode("utf-8")):
            raise RequestError("unauthorized", UNAUTHORIZED)

    guard = [Depends(authorize)] if token is not None else []
    batcher = _Batcher(bundle)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await run_in_threadpool(batcher.close)

    app = FastAPI(title="textmine", version=__version__, lifespan=lifespan,
                  description="Categories, polarities, evidence and sentiment of Chinese customer-feedback comments.")

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> Response:
        return _error_response(STATUS[exc.code], exc.code, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        return _error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:  # uvicorn still logs the traceback
        return _error_response(500, "internal_error", INTERNAL_ERROR.format(kind=type(exc).__name__))

    @app.get("/healthz", response_model=Health, summary="200 once the model is loaded")
    async def healthz() -> dict:
        return {"status": "ok", "model": info}

    @app.get("/v1/model", dependencies=guard, responses={401: {"model": ErrorBody}},
             summary="The manifest of the loaded model: versions, categories, sha256, metrics")
    async def manifest() -> Response:
        return JSONResponse(bundle.manifest)

    @app.post("/v1/analyze", dependencies=guard, summary="Categories, polarities, evidence and sentiment of comments",
              responses={200: {"model": AnalyzeResponse}, **problems},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": AnalyzeRequest.model_json_schema()}}}})
    async def analyze(request: Request) -> Response:
        body = await _read_body(request, max_body_bytes)
        texts = await run_in_threadpool(parse_texts, body, max_texts=max_texts)
        results = await asyncio.wrap_future(batcher.submit(texts))
        return Response(await run_in_threadpool(_answer, info, results), media_type="application/json")

    return app


def app_from_environment() -> FastAPI:
    """The app of a worker process started by :func:`serve` with several workers: the
    settings come from the environment, and the model is loaded once per process."""
    settings = json.loads(os.environ[_CONFIG_ENV])
    return create_app(settings.pop("model"), **settings)


def exposure_warning(host: str, port: int, token: str | None) -> str | None:
    """The warning to show when the service is bound to an address other machines may
    reach (not loopback) without a token; None when there is nothing to warn about."""
    if token or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:  # a host name: it may resolve to a public address
        pass
    return PUBLIC_WITHOUT_TOKEN.format(host=host, port=port)


def serve(model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          max_texts: int = MAX_TEXTS, max_body_bytes: int = MAX_BODY_BYTES, token: str | None = None,
          trust_pickle: bool = False, access_log: bool = True) -> None:
    """Run the service with uvicorn until it is stopped (SIGINT or SIGTERM: requests in
    flight are finished first).

    Parameters
    ----------
    model : str or Path, optional
        Model file; default: the shipped model. Each worker process loads it once.
    host, port
        Where to listen; loopback by default.
    workers : int, default=1
        Worker processes. With more than one, the model is first loaded here once to
        check it (a worker that cannot load it would be restarted over and over), and
        the settings reach the workers through the environment.
    max_texts, max_body_bytes, token, trust_pickle
        See :func:`create_app`.
    access_log : bool, default=True
        Log one line per request.

    Raises
    ------
    ModelError, InputError
        As :func:`create_app`, before anything listens.
    """
    import uvicorn

    for name, value in (("workers", workers), ("max_texts", max_texts), ("max_body_bytes", max_body_bytes)):
        _check_positive(name, value)
    settings = {"max_texts": max_texts, "max_body_bytes": max_body_bytes, "token": token, "trust_pickle": trust_pickle}
    if workers == 1:
        uvicorn.run(create_app(model, **settings), host=host, port=port, access_log=access_log)
        return
    from .bundle import DEFAULT_MODEL, ModelBundle
    from .resources import resource_path

    ModelBundle.load(model if model is not None else resource_path("models", DEFAULT_MODEL), trust_pickle=trust_pickle)
    os.environ[_CONFIG_ENV] = json.dumps({"model": None if model is None else str(model), **settings})
    uvicorn.run(f"{__name__}:app_from_environment", factory=True, host=host, port=port, workers=workers,
                access_log=access_log)
