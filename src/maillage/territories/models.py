"""The official territorial referential: régions, départements, EPCI and communes.

Identifiers are stable strings (`fr`, `reg:53`, `dep:35`, `epci:<SIREN>`, `com:<INSEE>`) that
other tools rely on; they are the primary key so that every table and export uses them as is.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    COUNTRY = "fr", _("France")
    REGION = "reg", _("Région")
    DEPARTEMENT = "dep", _("Département")
    EPCI = "epci", _("Intercommunalité (EPCI)")
    COMMUNE = "com", _("Commune")


class Territory(models.Model):
    id = models.CharField(_("identifiant"), max_length=24, primary_key=True)
    level = models.CharField(_("niveau"), max_length=4, choices=Level.choices, db_index=True)
    code = models.CharField(_("code officiel"), max_length=12)
    name = models.CharField(_("nom"), max_length=200)
    # Lower-case, accent-free, punctuation as spaces: "saint etienne" finds "Saint-Étienne".
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(
        _("nature"), max_length=40, blank=True, help_text=_("CC, CA, CU, MET pour un EPCI.")
    )
    zone = models.CharField(_("zone"), max_length=8, blank=True)  # metro, drom, com
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(
        _("millésime de la population"), null=True, blank=True
    )
    area_km2 = models.FloatField(_("superficie (km²)"), null=True, blank=True)
    region = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("région"),
    )
    departement = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("département"),
    )
    epci = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("EPCI"),
    )
    # Representative point (inside the outline) and bounding box, in WGS84.
    point_lon = models.FloatField(null=True, blank=True)
    point_lat = models.FloatField(null=True, blank=True)
    bbox = models.JSONField(null=True, blank=True)
    # Full-resolution geometry (WKB, WGS84), communes only: the locator's ground truth.
    geometry = models.BinaryField(null=True, blank=True, editable=False)
    # Simplified outline as GeoJSON geometry text, cached for display.
    outline = models.TextField(blank=True, editable=False)
    # Hash of every loaded field, so a reload writes only what changed.
    checksum = models.CharField(max_length=32, editable=False)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["level", "code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def has_geometry(self) -> bool:
        return bool(self.outline)


class TerritoryAlias(models.Model):
    """A code that is not a current commune but designates one: merged or delegated communes,
    associated communes, and the arrondissements of Paris, Lyon and Marseille."""

    class Kind(models.TextChoices):
        DELEGUEE = "deleguee", _("commune déléguée")
        ASSOCIEE = "associee", _("commune associée")
        ARRONDISSEMENT = "arrondissement", _("arrondissement municipal")
        ANCIENNE = "ancienne", _("ancienne commune")

    code = models.CharField(_("code INSEE"), max_length=12, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    search_name = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices)
    territory = models.ForeignKey(
        Territory,
        on_delete=models.CASCADE,
        related_name="aliases",
        verbose_name=_("commune actuelle"),
    )
    # Municipal arrondissements only (Paris, Lyon, Marseille): their legal population and
    # full-resolution outline (WKB, WGS84), so that figures located by their point can be
    # broken down inside the commune (see subdivisions.py). They are never territories of
    # their own: a figure of the commune is the sum of its arrondissements'.
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    geometry = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ancien code ou code secondaire")
        verbose_name_plural = _("anciens codes et codes secondaires")

    def __str__(self) -> str:
        return f"{self.code} {self.name} → {self.territory_id}"


class PostalCode(models.Model):
    code = models.CharField(_("code postal"), max_length=5, db_index=True)
    commune = models.ForeignKey(
        Territory,
        on_delete=models.CASCADE,
        related_name="postal_codes",
        verbose_name=_("commune"),
    )

    class Meta:
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="unique_postal_code_commune")
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.commune_id}"


class ReferentialLoad(models.Model):
    """One run of `maillage load-referential`: what was loaded, from which sources, and what
    changed. The latest row is the provenance shown to users."""

    started_at = models.DateTimeField(_("début"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    sources = models.JSONField(_("sources"), default=list)
    population_year = models.PositiveSmallIntegerField(_("millésime de la population"))
    counts = models.JSONField(_("décomptes"), default=dict)

    class Meta:
        verbose_name = _("chargement du référentiel")
        verbose_name_plural = _("chargements du référentiel")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.population_year})"
