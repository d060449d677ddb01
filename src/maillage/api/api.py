from ninja import NinjaAPI

from .errors import register_error_handlers
from .footprints import router as footprints_router
from .impacts import router as impacts_router
from .indicators import router as indicators_router
from .registers import router as registers_router
from .territories import router as territories_router

api = NinjaAPI(
    title="Maillage API",
    version="1",
    description=(
        "API publique de Maillage : référentiel territorial (identifiants fr, reg:53, dep:35, "
        "epci:<SIREN>, com:<INSEE>). Réponses JSON ; erreurs {code, message}."
    ),
    openapi_url="/schema/",
    # Interactive docs from ninja's own static files ("ninja" in INSTALLED_APPS): no CDN,
    # so they work offline and under the site's CSP.
    docs_url="/docs/",
    urls_namespace="api",
)
register_error_handlers(api)
api.add_router("", territories_router)
api.add_router("", indicators_router)
api.add_router("", footprints_router)
api.add_router("", impacts_router)
api.add_router("", registers_router)
