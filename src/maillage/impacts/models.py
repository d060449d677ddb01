"""Impact coefficients: the sourced figures every impact estimate multiplies activity by.

- `Coefficient`: one quantity of `../shared/design/impacts.md` (the project's own design note,
  copied into `data/coefficients.json` and loaded by `coefficients.sync_coefficients`), with its
  range, source, date checked and CONTESTED flag. Administrators edit it (every change kept in
  its history); an edited coefficient is kept by the next load of the file.
- `CoefficientOverride`: a territory's own value of a coefficient, with its own source. It
  applies to the territory and everything below it (see `coefficients.resolve`).

Activity reports, the other factor of every estimate, live in the catalog
(`maillage.catalog.activity`). Formulas are project data (`data/formulas.json`), not rows.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

KEY_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$"

validate_key = RegexValidator(
    KEY_PATTERN,
    _(
        "Clé attendue en minuscules, en deux parties ou plus séparées par des points (ex. carpool.commute_km)."
    ),
    code="coefficient-key",
)
# Only web addresses: a source must be something a reader can open.
validate_source_url = URLValidator(schemes=["http", "https"])


def range_errors(low: Any, central: Any, high: Any) -> dict[str, ValidationError]:
    """low ≤ central ≤ high, said in French on the field that breaks it."""
    errors: dict[str, ValidationError] = {}
    if None in (low, central, high):
        return errors
    if low > central:
        errors["low"] = ValidationError(
            _("La valeur basse ne peut dépasser la valeur centrale."), code="range-order"
        )
    if central > high:
        errors["high"] = ValidationError(
            _("La valeur haute ne peut être inférieure à la valeur centrale."), code="range-order"
        )
    return errors


def ordered_range(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(low__lte=models.F("central")) & models.Q(central__lte=models.F("high")),
        name=f"{prefix}_low_central_high_ordered",
        violation_error_message=_("Il faut : valeur basse ≤ valeur centrale ≤ valeur haute."),
    )


class RangeFields(models.Model):
    """A value with its range: the estimate never shows one number alone."""

    low = models.FloatField(_("valeur basse"))
    central = models.FloatField(_("valeur centrale"))
    high = models.FloatField(_("valeur haute"))

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        errors = range_errors(self.low, self.central, self.high)
        if errors:
            raise ValidationError(errors)


class Coefficient(RangeFields):
    class Origin(models.TextChoices):
        FILE = "file", _("fichier du projet")
        ADMIN = "admin", _("ajouté dans l'administration")

    key = models.CharField(
        _("clé"),
        max_length=80,
        unique=True,
        validators=[validate_key],
        help_text=_("Code stable lu par les formules, par exemple carpool.commute_km."),
    )
    categories = models.JSONField(
        _("catégories concernées"),
        default=list,
        blank=True,
        help_text=_('Codes de la typologie (ex. ["covoiturage"]) ; vide : toutes.'),
    )
    practice_fr = models.CharField(_("pratique"), max_length=200)
    quantity_fr = models.CharField(_("grandeur"), max_length=300)
    unit = models.CharField(_("unité"), max_length=60)
    source_text = models.TextField(_("source"))
    source_url = models.URLField(
        _("adresse de la source"),
        max_length=500,
        blank=True,
        validators=[validate_source_url],
    )
    checked_on = models.DateField(_("vérifié le"))
    contested = models.BooleanField(
        _("contesté"),
        default=False,
        help_text=_("La valeur est discutée par d'autres sources : elle est signalée partout."),
    )
    contested_note = models.TextField(_("pourquoi il est contesté"), blank=True)
    note_fr = models.TextField(
        _("remarque"), blank=True, help_text=_("Choix faits en recopiant la source.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    origin = models.CharField(
        _("origine"), max_length=8, choices=Origin.choices, default=Origin.ADMIN
    )
    # Set when an administrator changes it: loading the project file again keeps the change.
    edited_at = models.DateTimeField(_("modifié le"), null=True, blank=True)

    history = HistoricalRecords(
        verbose_name=_("historique d'un coefficient"), excluded_fields=["edited_at"]
    )

    class Meta:
        verbose_name = _("coefficient d'impact")
        verbose_name_plural = _("coefficients d'impact")
        ordering = ["key"]
        constraints = [ordered_range("coefficient")]

    def __str__(self) -> str:
        return f"{self.key} = {self.central:g} {self.unit} [{self.low:g} – {self.high:g}]"

    def clean(self) -> None:
        errors = dict(range_errors(self.low, self.central, self.high))
        if self.contested and not self.contested_note.strip():
            errors["contested_note"] = ValidationError(
                _("Dites pourquoi ce coefficient est contesté."), code="contested-note"
            )
        if not isinstance(self.categories, list) or not all(
            isinstance(c, str) for c in self.categories
        ):
            errors["categories"] = ValidationError(
                _("Une liste de codes de catégorie est attendue."), code="categories"
            )
        if errors:
            raise ValidationError(errors)


class CoefficientOverride(RangeFields):
    """A territory's own value of a coefficient, with its own source."""

    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="coefficient_overrides",
        verbose_name=_("territoire"),
        help_text=_("S'applique à ce territoire et à tout ce qu'il contient."),
    )
    coefficient = models.ForeignKey(
        Coefficient,
        on_delete=models.PROTECT,
        related_name="overrides",
        verbose_name=_("coefficient"),
    )
    source_text = models.TextField(_("source"))
    source_url = models.URLField(
        _("adresse de la source"),
        max_length=500,
        blank=True,
        validators=[validate_source_url],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("historique d'une valeur locale"))

    class Meta:
        verbose_name = _("valeur locale d'un coefficient")
        verbose_name_plural = _("valeurs locales des coefficients")
        ordering = ["coefficient__key", "territory_id"]
        constraints = [
            ordered_range("coefficient_override"),
            models.UniqueConstraint(
                fields=["territory", "coefficient"],
                name="one_override_per_territory_and_coefficient",
                violation_error_message=_(
                    "Ce territoire a déjà sa valeur de ce coefficient : modifiez-la."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coefficient.key} @ {self.territory_id} = {self.central:g}"

    def clean(self) -> None:
        super().clean()
        # The national value is the coefficient itself: France has no override of its own.
        if self.territory_id == "fr":
            raise ValidationError(
                {
                    "territory": ValidationError(
                        _("Pour la France entière, modifiez le coefficient lui-même."),
                        code="override-national",
                    )
                }
            )


class ImpactRun(models.Model):
    """One computation of every territory's impacts (see precompute.recompute)."""

    computed_at = models.DateTimeField(_("calculé le"))
    seconds = models.FloatField(_("durée (s)"), default=0)
    initiatives = models.PositiveIntegerField(_("initiatives comptées"), default=0)
    territories = models.PositiveIntegerField(_("territoires"), default=0)
    formulas_version = models.CharField(_("version des formules"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("calcul des impacts")
        verbose_name_plural = _("calculs des impacts")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class TerritoryImpactFigures(models.Model):
    """Every impact figure of one territory as one JSON document (`TerritoryImpacts.as_dict`).

    One document per territory rather than one row per dimension: every reader (portrait,
    API, explanation page) wants all the dimensions of one territory at once, so one
    primary-key lookup answers it, and the writer inserts a few thousand rows, not ten times
    more."""

    territory = models.OneToOneField(
        "territories.Territory",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="impact_figures",
        verbose_name=_("territoire"),
    )
    run = models.ForeignKey(ImpactRun, on_delete=models.CASCADE, related_name="+")
    document = models.JSONField(_("chiffres"))

    class Meta:
        verbose_name = _("impacts d'un territoire")
        verbose_name_plural = _("impacts des territoires")

    def __str__(self) -> str:
        return str(self.territory_id)
