from ninja import NinjaAPI

from .errors import register_error_handlers
from .indicators import router as indicators_router
from .territories import router as territories_router

api = NinjaAPI(
    title="Maillage API",
    version="1",
    description=(
        "API publique de Maillage : référentiel territorial (identifiants fr, reg:53, dep:35, "
        "epci:<SIREN>, com:<INSEE>). Réponses JSON ; erreurs {code, message}."
    ),
    openapi_url="/schema/",
    docs_url=None,  # the interactive docs load assets from a CDN; the schema is enough offline
    urls_namespace="api",
)
register_error_handlers(api)
api.add_router("", territories_router)
api.add_router("", indicators_router)
