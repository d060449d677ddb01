from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "maillage.indicators"
    verbose_name = _("Indicateurs")

    def ready(self) -> None:
        # Lower floors announce inventory changes; the stored figures become out of date.
        from maillage.catalog.signals import inventory_changed

        from .services import on_inventory_changed

        inventory_changed.connect(on_inventory_changed, dispatch_uid="indicators-stale")
