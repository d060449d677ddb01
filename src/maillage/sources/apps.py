from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SourcesConfig(AppConfig):
    name = "maillage.sources"
    verbose_name = _("Sources et imports")

    def ready(self) -> None:
        # Registers the import task and the worker's housekeeping for jobs and schedules.
        from . import tasks  # noqa: F401
