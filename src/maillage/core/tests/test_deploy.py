"""Production settings: `check --deploy` is clean with a server's environment, and a server
refuses to start with the public default key."""

import gzip
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHECK = [sys.executable, "-m", "maillage.cli", "check", "--deploy"]
SERVER = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "maillage.exemple.fr",
    "CSRF_TRUSTED_ORIGINS": "https://maillage.exemple.fr",
    "MAILLAGE_HTTPS": "true",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
}
# Settings this test sets or that would change what it checks (the browser tests set
# DJANGO_ALLOW_ASYNC_UNSAFE in this process: never a server's).
OURS = {*SERVER, "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip


def _env(tmp_path, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env["MAILLAGE_DATA_DIR"] = str(tmp_path)  # never the project's var/
    env.update(changes)
    return env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_a_server_environment(tmp_path):
    done = _run([*CHECK, "--fail-level", "WARNING"], _env(tmp_path, **SERVER))
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_warns_with_the_local_defaults(tmp_path):
    done = _run(CHECK, _env(tmp_path, DEBUG="false"))
    for warning in ("W004", "W008", "W009", "W012", "W016"):
        assert f"security.{warning}" in done.stderr


def test_https_settings_read_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS)"
    )
    command = [sys.executable, "-c", code]
    env = _env(tmp_path, **SERVER, DJANGO_SETTINGS_MODULE="maillage.settings")
    assert _run(command, env).stdout.strip() == (
        "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') "
        "['https://maillage.exemple.fr']"
    )
    env["SECURE_HSTS_SECONDS"] = "3600"
    env["SECURE_SSL_REDIRECT"] = "false"
    assert _run(command, env).stdout.split()[2:4] == ["False", "3600"]
    env["SECURE_PROXY_SSL_HEADER"] = "https"
    refused = _run(command, env)
    assert refused.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER attend « En-Tête: valeur »" in refused.stderr


@pytest.mark.parametrize("key", [None, ""])
def test_a_server_refuses_to_start_with_the_public_default_key(tmp_path, key):
    env = _env(tmp_path, DEBUG="false", DJANGO_SETTINGS_MODULE="maillage.settings")
    if key is not None:
        env["SECRET_KEY"] = key
    refused = _run([sys.executable, "-c", "import maillage.wsgi"], env)
    assert refused.returncode != 0
    assert "ImproperlyConfigured: Refus de démarrer : SECRET_KEY n'est pas définie" in (
        refused.stderr
    )
    served = _run([sys.executable, "-m", "maillage.cli", "serve", "--host", "0.0.0.0"], env)
    assert served.returncode == 2
    assert "Refus de démarrer" in served.stderr
    assert "Traceback" not in served.stderr


def test_a_server_starts_with_its_own_key_or_in_debug_mode(tmp_path):
    load = [sys.executable, "-c", "import maillage.wsgi; print('prêt')"]
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE="maillage.settings")
    own_key = _run(load, {**env, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)})
    assert own_key.stdout.strip() == "prêt", own_key.stderr
    assert _run(load, {**env, "DEBUG": "true"}).stdout.strip() == "prêt"


GUNICORN = [
    str(Path(sys.executable).with_name("gunicorn")),
    "-c",
    "python:maillage.gunicorn_conf",
    "maillage.wsgi:application",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_production_server_refuses_the_public_key_in_one_french_line(tmp_path):
    env = _env(tmp_path, DEBUG="false", MAILLAGE_BIND=f"127.0.0.1:{_free_port()}")
    done = _run(GUNICORN, env)
    assert done.returncode == 2
    assert "Refus de démarrer : SECRET_KEY n'est pas définie" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_production_server_serves_the_app_and_compressed_static_files(tmp_path):
    port = _free_port()
    env = _env(
        tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
        MAILLAGE_BIND=f"127.0.0.1:{port}", MAILLAGE_WORKERS="2",
    )  # fmt: skip
    collected = _run([sys.executable, "-m", "maillage.cli", "collectstatic", "--no-input"], env)
    assert collected.returncode == 0, collected.stderr
    server = subprocess.Popen(GUNICORN, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                schema = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/schema/")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn ne répond pas"
                assert server.poll() is None, "gunicorn s'est arrêté"
                time.sleep(0.3)
        assert json.load(schema)["info"]["title"] == "Maillage API"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/static/leaflet/leaflet.css",
            headers={"Accept-Encoding": "gzip"},
        )
        with urllib.request.urlopen(request) as css:
            assert css.status == 200
            assert css.headers["Content-Encoding"] == "gzip"
            assert "max-age" in css.headers["Cache-Control"]
            assert b".leaflet-container" in gzip.decompress(css.read())
    finally:
        server.terminate()  # the server started here, and its workers with it
        server.wait(timeout=30)
