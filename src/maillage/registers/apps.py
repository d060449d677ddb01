from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "maillage.registers"
    verbose_name = _("Registres officiels")
