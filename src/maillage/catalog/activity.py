"""Activity that initiatives report year by year: data about the inventory, kept in the
catalog (floor 2) so that indicators (which initiatives have recent activity data) and impacts
(the figures impacts are computed from) both read it from below."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    """What an initiative can report (Avise / VISES synthesis in impacts.md)."""

    PARTICIPANTS = "participants", _("participants ou usagers")
    VOLUNTEERS = "volunteers", _("bénévoles")
    VOLUNTEER_HOURS = "volunteer-hours", _("heures de bénévolat")
    PAID_FTE = "paid-fte", _("emplois salariés (ETP)")
    BUDGET_EUR = "budget-eur", _("budget (€)")
    PUBLIC_FUNDING_SHARE = "public-funding-share", _("part de financement public (0 à 1)")
    TONNES_REUSED = "tonnes-reused", _("tonnes réemployées")
    REPAIRS_ATTEMPTED = "repairs-attempted", _("réparations tentées")
    REPAIRS_SUCCEEDED = "repairs-succeeded", _("réparations réussies")
    KM_CARPOOLED = "km-carpooled", _("km covoiturés")
    KWH_PRODUCED = "kwh-produced", _("kWh produits")
    LOCAL_CURRENCY_VOLUME = "local-currency-volume", _("monnaie locale en circulation")


class ActivityReport(models.Model):
    initiative = models.ForeignKey(
        "catalog.Initiative",
        on_delete=models.CASCADE,
        related_name="activity_reports",
        verbose_name=_("initiative"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    metric = models.CharField(_("mesure"), max_length=40, choices=Metric.choices)
    value = models.FloatField(_("valeur"))
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("Qui a donné le chiffre : l'initiative, un réseau, un rapport…"),
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("saisi par"),
    )
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    class Meta:
        app_label = "catalog"
        verbose_name = _("activité déclarée")
        verbose_name_plural = _("activités déclarées")
        ordering = ["initiative_id", "-year", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "year", "metric"], name="one_value_per_metric_and_year"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="activity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} · {self.year} · {self.metric} = {self.value}"
