"""The background workers that are alive: each `maillage worker` says so between its tasks, so
that a page can tell staff when nothing will pick their import up."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(_("processus"), max_length=64, primary_key=True)
    host = models.CharField(_("machine"), max_length=255)
    pid = models.PositiveIntegerField(_("numéro de processus"))
    started_at = models.DateTimeField(_("démarré le"))
    seen_at = models.DateTimeField(_("vu le"), db_index=True)

    class Meta:
        verbose_name = _("processus de travail")
        verbose_name_plural = _("processus de travail")

    def __str__(self) -> str:
        return self.worker_id
