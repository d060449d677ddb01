"""gunicorn's settings for `make serve-prod` (and the soak benchmark): the production server.

    gunicorn -c python:maillage.gunicorn_conf maillage.wsgi:application

Several synchronous workers (pages are short CPU work: one request per process at a time),
recycled now and then to bound memory; static files are served by WhiteNoise inside the
application (compressed copies made by collectstatic). The application itself reads the same
environment settings as everywhere (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL…).
"""

import os
import sys

bind = os.environ.get("MAILLAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MAILLAGE_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
timeout = 60
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500
# Anything else (access log, proxy addresses…): gunicorn's own GUNICORN_CMD_ARGS.


def on_starting(server: object) -> None:
    """Say once, in French and without a traceback, why the server will not start (rather
    than each worker failing to boot in turn)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    from django.core.exceptions import ImproperlyConfigured

    from maillage.core.deploy import refuse_public_key

    try:
        refuse_public_key()
    except ImproperlyConfigured as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(2)
