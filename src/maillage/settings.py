"""Django settings for Maillage.

Every setting that differs between a laptop and a server comes from an environment variable;
the defaults are safe for local use (SQLite in the data directory, DEBUG off unless asked).
"""

import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout, src/maillage/ → the repository root holds var/ and data/.
PROJECT_DIR = PACKAGE_DIR.parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


DATA_DIR = Path(os.environ.get("MAILLAGE_DATA_DIR", PROJECT_DIR / "var")).resolve()
# Open data shipped with the project (the territorial referential package).
BUNDLED_DATA_DIR = Path(os.environ.get("MAILLAGE_BUNDLED_DATA_DIR", PROJECT_DIR / "data"))
# Third-party open datasets are never committed: a checkout finds them in the shared raw-data
# folder beside it (../shared/data/raw), or wherever MAILLAGE_RAW_DATA says.
RAW_DATA_DIR = Path(
    os.environ.get("MAILLAGE_RAW_DATA") or PROJECT_DIR.parent / "shared" / "data" / "raw"
).resolve()
# A folder of demo files (`maillage load-demo`), named by MAILLAGE_DEMO_DATA; None when unset.
DEMO_DATA_DIR = (
    Path(os.environ["MAILLAGE_DEMO_DATA"]).resolve()
    if os.environ.get("MAILLAGE_DEMO_DATA")
    else None
)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"La variable d'environnement {name} doit être un nombre entier (lu : « {value} »)."
        ) from None


def _env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = _env_bool("DEBUG", False)
# A fixed key is only acceptable for a local, loopback-only instance: with DEBUG off, the WSGI
# entry point (maillage.wsgi) refuses to serve with it (maillage.core.deploy).
PUBLIC_SECRET_KEY = "maillage-local-only-insecure-key-set-SECRET_KEY"
SECRET_KEY = os.environ.get("SECRET_KEY") or PUBLIC_SECRET_KEY
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Origins allowed to POST forms through HTTPS behind a proxy (https://maillage.example.fr).
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS. Off by default (a local instance is plain HTTP on the loopback); MAILLAGE_HTTPS=true
# turns on secure cookies, the redirect to HTTPS and one year of HSTS, each one adjustable.
HTTPS = _env_bool("MAILLAGE_HTTPS", False)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
# Both commit every subdomain (and browsers' preload lists) to HTTPS for good: opt-in only.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a proxy that ends TLS: the header it sets, « X-Forwarded-Proto: https ». Only set it
# when the proxy overwrites that header, or clients could claim HTTPS.
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    _name, _sep, _value = _proxy_header.partition(":")
    if not (_sep and _name.strip() and _value.strip()):
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER attend « En-Tête: valeur », par exemple "
            f"« X-Forwarded-Proto: https » (lu : « {_proxy_header} »)."
        )
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip(),
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' scripts from our own static files (the CSP allows no CDN)
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "maillage.core",
    "maillage.territories",
    "maillage.catalog",
    "maillage.sources",
    "maillage.dedupe",
    "maillage.registers",
    "maillage.impacts",
    "maillage.indicators",
    "maillage.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # right after: every response, static files and error pages too, carries the policy
    "maillage.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last, so that it sees what views raise: a MaillageError becomes its JSON or HTML answer
    "maillage.core.handlers.ErrorMiddleware",
]

ROOT_URLCONF = "maillage.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# None: `maillage serve` (runserver, local) builds its own application, so that only servers go
# through maillage.wsgi, which refuses the public default key.
WSGI_APPLICATION = None

_default_db = f"sqlite:///{DATA_DIR / 'maillage.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            # A 64 MB page cache (2 MB by default): an import's index updates stay in memory.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# In each process's memory: the portraits' rendered content (maillage.indicators.presenters),
# keyed by the figures it shows, so it never outlives them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 500},
    }
}

# Background work (imports, figure refreshes, scheduled harvests) is queued in the database and
# run by `maillage worker` (maillage.core.tasks); a request never runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Largest file accepted by the import pages (the command line has no limit); an oversized
# upload is refused while it arrives, before it is stored (maillage.sources.uploads).
MAILLAGE_IMPORT_MAX_UPLOAD_BYTES = int(
    os.environ.get("MAILLAGE_IMPORT_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
)
# What an imported file may hold (maillage.sources.limits; README « Limites des fichiers
# importés »): a longer cell or row is rejected, a larger file or one with more rows refused.
MAILLAGE_IMPORT_MAX_CELL_CHARS = int(os.environ.get("MAILLAGE_IMPORT_MAX_CELL_CHARS", 32_768))
MAILLAGE_IMPORT_MAX_ROW_CHARS = int(os.environ.get("MAILLAGE_IMPORT_MAX_ROW_CHARS", 1_048_576))
MAILLAGE_IMPORT_MAX_COLUMNS = int(os.environ.get("MAILLAGE_IMPORT_MAX_COLUMNS", 2_000))
MAILLAGE_IMPORT_MAX_ROWS = int(os.environ.get("MAILLAGE_IMPORT_MAX_ROWS", 2_000_000))
MAILLAGE_IMPORT_MAX_FILE_BYTES = int(
    os.environ.get("MAILLAGE_IMPORT_MAX_FILE_BYTES", 1024 * 1024 * 1024)
)
MAILLAGE_IMPORT_MAX_REJECTED_KEPT = int(os.environ.get("MAILLAGE_IMPORT_MAX_REJECTED_KEPT", 10_000))
FILE_UPLOAD_HANDLERS = [
    "maillage.sources.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves static files from the application (no separate web server needed);
# collectstatic also writes gzip copies, sent to browsers that accept them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Leaflet ships as a pip package (no CDN): served under static/leaflet/.
STATICFILES_DIRS = [("leaflet", xstatic.pkg.leaflet.BASE_DIR)]

# Optional web map background; the machines that run Maillage may be offline, so the default
# map shows only the boundaries served by the app.
MAILLAGE_TILE_URL = os.environ.get("MAILLAGE_TILE_URL", "")
MAILLAGE_TILE_ATTRIBUTION = os.environ.get("MAILLAGE_TILE_ATTRIBUTION", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Addresses of pages (territory ids, search words) are not sent to other sites.
SECURE_REFERRER_POLICY = "same-origin"
