from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactsConfig(AppConfig):
    name = "maillage.impacts"
    verbose_name = _("Impacts")
