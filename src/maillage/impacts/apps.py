from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactsConfig(AppConfig):
    name = "maillage.impacts"
    verbose_name = _("Impacts")

    def ready(self) -> None:
        # Impacts are precomputed with the indicators: a lower floor tells us through a signal.
        from maillage.indicators.signals import figures_refreshed

        from .precompute import on_figures_refreshed

        figures_refreshed.connect(on_figures_refreshed, dispatch_uid="impacts-precompute")
