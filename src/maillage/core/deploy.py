"""What a server must not start without: a secret key of its own.

The default SECRET_KEY is in the public source code, so anyone could forge session cookies and
password-reset links with it. A local instance (`maillage serve` on the loopback, the tests,
DEBUG on) may use it; the WSGI entry point (gunicorn, `make serve-prod`) and `maillage serve`
on another address refuse to start with it.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def uses_public_key() -> bool:
    return bool(settings.SECRET_KEY == settings.PUBLIC_SECRET_KEY)


def refuse_public_key() -> None:
    """Raise ImproperlyConfigured (French message) when DEBUG is off and SECRET_KEY is the
    public default one."""
    if settings.DEBUG or not uses_public_key():
        return
    raise ImproperlyConfigured(
        "Refus de démarrer : SECRET_KEY n'est pas définie, et la clé par défaut est publique "
        "(n'importe qui pourrait forger des cookies de session). Définissez la variable "
        "d'environnement SECRET_KEY avec une valeur longue et aléatoire, par exemple celle "
        "que donne « python3 -c 'import secrets; print(secrets.token_urlsafe(50))' »."
    )
