"""Precomputed figures: one document per territory, written whole by each run (see
services.recompute), read by the portrait pages, the API and `maillage indicators`."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorRun(models.Model):
    computed_at = models.DateTimeField(_("calculé le"))
    seconds = models.FloatField(_("durée (s)"), default=0)
    initiatives = models.PositiveIntegerField(_("initiatives comptées"), default=0)
    territories = models.PositiveIntegerField(_("territoires"), default=0)
    # The reference date of the figures (emergence windows, « verified in the last 12 months »).
    reference_date = models.DateField(_("date de référence"))

    class Meta:
        verbose_name = _("calcul des indicateurs")
        verbose_name_plural = _("calculs des indicateurs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.computed_at:%Y-%m-%d %H:%M})"


class TerritoryFigures(models.Model):
    """Every figure of one territory, in the compact form documented in compute.py."""

    territory = models.OneToOneField(
        "territories.Territory",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name=_("territoire"),
    )
    run = models.ForeignKey(IndicatorRun, on_delete=models.CASCADE, related_name="+")
    figures = models.JSONField(_("chiffres"))

    class Meta:
        verbose_name = _("chiffres d'un territoire")
        verbose_name_plural = _("chiffres des territoires")

    def __str__(self) -> str:
        return f"{self.territory_id} (calcul #{self.run_id})"


class DataChange(models.Model):
    """When the inventory last changed (imports, merges, edits, publications): figures
    computed before it are out of date. One row, updated in place."""

    changed_at = models.DateTimeField(_("modifié le"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("modification de l'inventaire")
        verbose_name_plural = _("modifications de l'inventaire")

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {self.reason}"


class CountSnapshot(models.Model):
    """A count published by a source at a date, for a territory (and a category, or all the
    practices the source covers): the time series that per-initiative dates cannot give,
    such as a map's number of entries over the years."""

    source = models.CharField(_("source"), max_length=200)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="count_snapshots",
        verbose_name=_("territoire"),
    )
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("catégorie"),
        help_text=_("Vide : toutes les pratiques que la source recense."),
    )
    date = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("nombre"))

    class Meta:
        verbose_name = _("comptage publié")
        verbose_name_plural = _("comptages publiés")
        ordering = ["source", "territory_id", "category_id", "date"]
        # A series is replaced whole by each import of its source (history.py); the constraint
        # guards the rows that have a category (NULLs are distinct in SQL).
        constraints = [
            models.UniqueConstraint(
                fields=["source", "territory", "category", "date"],
                name="one_count_per_source_territory_category_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.territory_id} · {self.date}: {self.count}"
