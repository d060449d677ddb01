"""The site stays available while a long import runs (real processes, one SQLite file): a
person logs in, reads a portrait and the API, and imports another source, with no error.

The import commits batch by batch, so every other writer waits at most one batch for the
database's single write lock, and no page writes when it only reads."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .csvfiles import read_rows, write_rows
from .test_worker import CLI, _bnlc_copies, _one

pytestmark = pytest.mark.real_data

PASSWORD = "un-mot-de-passe-de-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError(f"le serveur ne répond pas : {url}")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Visitor:
    """A browser's part: cookies, CSRF token, status and time of each answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.answers: list[tuple[str, int, float]] = []

    def open(self, path: str, data: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if data is not None:
            request.add_header("Referer", self.base + path)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        self.answers.append((path, status, time.monotonic() - started))
        return text

    def log_in(self) -> None:
        page = self.open("/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        self.open(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token[1], "username": "staff", "password": PASSWORD},
        )


def test_a_long_import_never_breaks_the_site(raw_data, child_database, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{child_database}",
        "MAILLAGE_DATA_DIR": str(tmp_path / "var"),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [*CLI, *args], env=env, capture_output=True, timeout=600, check=False
    )
    for command in (
        ("createsuperuser", "--no-input", "--username", "staff", "--email", "s@x.fr"),
        (
            "indicators",
            "--recompute",
        ),  # figures to serve (a portrait with none computed answers 503)
    ):
        done = run(*command)
        assert done.returncode == 0, done.stderr.decode()[-800:]
    bnlc = raw_data / "bnlc-covoiturage" / "bnlc.csv"
    header, rows = read_rows(bnlc)
    small = write_rows(tmp_path / "autre.csv", header, rows[:300])
    big = tmp_path / "bnlc-x60.csv"
    _bnlc_copies(raw_data, big, 60)

    port = _free_port()
    server = subprocess.Popen(
        [*CLI, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    long_import = subprocess.Popen(
        [*CLI, "import", "bnlc", str(big), "--source", "longue"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # Ctrl-C must reach it even when the tests run in the background (a shell starts
        # background jobs with SIGINT ignored, and children inherit that).
        preexec_fn=_default_sigint,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/", time.monotonic() + 60)
        deadline = time.monotonic() + 120
        rows_done = 0
        while rows_done < 4000 and time.monotonic() < deadline:
            time.sleep(0.2)
            rows_done = int(
                _one(  # type: ignore[call-overload]
                    child_database,
                    "select coalesce(max(rows), 0) from sources_harvestjob where status='running'",
                )
            )
        assert rows_done >= 4000, "the long import never got going"

        visitor = Visitor(base)
        visitor.log_in()
        logged_in = "/admin/logout/" in visitor.open("/admin/")
        visitor.open("/territoires/dep:35/portrait/")
        visitor.open("/api/v1/territories/dep:35/indicators")
        visitor.open("/imports/?format=json")
        other = run("import", "bnlc", str(small), "--source", "autre")
        visitor.open("/territoires/com:35238/portrait/")
        still_running = long_import.poll() is None
        # Ctrl-C: the long import takes back what it wrote, the other import stays.
        long_import.send_signal(signal.SIGINT)
        long_import_status = long_import.wait(timeout=600)
        visitor.open("/api/v1/territories/dep:35/indicators")
    finally:
        long_import.kill()
        server.terminate()
        server.wait(timeout=30)

    # The checks ran while the long import was writing: otherwise they proved nothing.
    assert still_running, "the long import ended before the checks: make its file longer"
    assert other.returncode == 0, other.stderr.decode()[-800:]
    login_page, login, *reads = visitor.answers
    assert login_page[1] == 200
    assert login[1] == 200  # the redirect to /admin/, followed
    assert logged_in
    assert [status for _path, status, _seconds in reads] == [200] * 6, reads

    assert long_import_status != 0  # interrupted
    status, error = (
        _one(
            child_database,
            f"select {column} from sources_harvestjob where source_id = "
            "(select id from sources_source where name = 'longue')",
        )
        for column in ("status", "error")
    )
    assert status == "failed"
    assert "KeyboardInterrupt" in str(error)
    assert _one(child_database, "select count(*) from catalog_initiative") == 300
    assert _one(child_database, "select count(*) from sources_priorstate") == 0
