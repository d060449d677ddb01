from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    name = "maillage.dedupe"
    verbose_name = _("Doublons")
