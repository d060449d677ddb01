"""The soak benchmark: the production server (`make serve-prod`: gunicorn, several workers,
WhiteNoise) under 20 concurrent clients, on this checkout's database with its data loaded.

1. gunicorn started with the same configuration as `make serve-prod`
   (`-c python:maillage.gunicorn_conf maillage.wsgi:application`) on a free loopback port,
   DEBUG off, a throw-away SECRET_KEY, the project's database (`make setup`: referential,
   demo data, figures). Refused to run on a database without figures (the API's 503).
2. Warm-up: every worker serves each URL a few times (first requests load caches).
3. For each target, MAILLAGE_SOAK_CLIENTS (20) threads, each sending one request after the
   other (a new connection each, as the synchronous workers close them) for
   MAILLAGE_SOAK_SECONDS (30) seconds:
   - `portrait`: the Ille-et-Vilaine portrait page, /territoires/dep:35/portrait/;
   - `api_indicators`: /api/v1/territories/dep:35/indicators.
   Per target: requests, req/s, latency p50, p95, p99 and max (ms, from sending the request
   to the last byte read), errors (anything but a 200 with a body, or a failed connection).
4. The machine: CPU count, load averages before and after (other work on the machine shows
   there: the clients and the server share its cores).

Target (issue 12): p95 of the portrait ≤ 500 ms on a 2-core machine, 0 errors.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

TARGETS = {
    "portrait": "/territoires/dep:35/portrait/",
    "api_indicators": "/api/v1/territories/dep:35/indicators",
}
P95_TARGET_MS = 500.0


def log(message: str) -> None:
    print(f"[bench] soak : {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, timeout: float = 30.0) -> tuple[int, int]:
    """(status, body length) of one GET on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Accept-Language": "fr"})
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        connection.close()


def _wait_ready(port: int, server: subprocess.Popen[bytes], seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn s'est arrêté (code {server.returncode})")
        try:
            if _get(port, "/api/v1/schema/", timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn ne répond pas")


def _load(port: int, path: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    problems: list[str] = []
    start = time.perf_counter()
    stop = start + seconds

    def client(i: int) -> None:
        while time.perf_counter() < stop:
            sent = time.perf_counter()
            try:
                status, size = _get(port, path)
            except OSError as exc:
                errors[i] += 1
                problems.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies[i].append(time.perf_counter() - sent)
            if status != 200 or size == 0:
                errors[i] += 1
                problems.append(f"HTTP {status}, {size} octets")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    ms = np.array([x for per_client in latencies for x in per_client]) * 1000
    done = int(ms.size)
    return {
        "path": path,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": done,
        "req_per_s": round(done / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if done else None,
        "p95_ms": round(float(np.percentile(ms, 95)), 1) if done else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if done else None,
        "max_ms": round(float(ms.max()), 1) if done else None,
        "errors": sum(errors),
        "first_errors": sorted(set(problems))[:5],
    }


def bench_soak() -> dict[str, Any]:
    seconds = float(os.environ.get("MAILLAGE_SOAK_SECONDS", 30))
    clients = int(os.environ.get("MAILLAGE_SOAK_CLIENTS", 20))
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MAILLAGE_BIND": f"127.0.0.1:{port}",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "python:maillage.gunicorn_conf", "maillage.wsgi:application"]
    log(f"gunicorn sur 127.0.0.1:{port}…")
    with tempfile.TemporaryFile() as server_log:  # read only when it went wrong
        server = subprocess.Popen(command, env=env, stderr=server_log, start_new_session=True)
        try:
            try:
                _wait_ready(port, server)
            except RuntimeError as exc:
                server_log.seek(0)
                tail = server_log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{exc}\n{tail}") from None
            return _measure(port, server.pid, clients, seconds)
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the server and its workers, started here
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _measure(port: int, master_pid: int, clients: int, seconds: float) -> dict[str, Any]:
    status, _size = _get(port, TARGETS["api_indicators"])
    if status != 200:
        raise RuntimeError(
            f"les indicateurs répondent {status} : lancez « make setup » (données et "
            "chiffres) avant le banc d'essai"
        )
    workers = _worker_count(master_pid)
    log(f"{workers} processus de travail ; mise en route…")
    for path in TARGETS.values():
        _load(port, path, clients, seconds=min(5.0, seconds))
    result: dict[str, Any] = {
        "server": "gunicorn (make serve-prod)",
        "workers": workers,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    for name, path in TARGETS.items():
        log(f"{name} : {clients} clients pendant {seconds:g} s…")
        result[name] = _load(port, path, clients, seconds)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    portrait = result["portrait"]
    result["target"] = {
        "portrait_p95_ms": P95_TARGET_MS,
        "met": bool(
            portrait["p95_ms"] is not None
            and portrait["p95_ms"] <= P95_TARGET_MS
            and portrait["errors"] == 0
            and result["api_indicators"]["errors"] == 0
        ),
    }
    return result


def _worker_count(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return len(children.read_text().split())
    except OSError:
        return 0
