"""The catalogue: the typology as data, initiatives, and the footprint of national platforms.

Family, Category and ExchangeMode rows come from `data/typology.json` (see `typology.py`);
they are keyed by their stable code so that foreign keys, exports and fixtures read as codes.
Initiatives are written only through `services.py`, which derives the commune.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import validators
from .vocabularies import (
    Carrier,
    CommuneMethod,
    ContactLegalBasis,
    Counterpart,
    LocationPrecision,
    Status,
)


def current_language() -> str:
    """`en` when the active language is English, else `fr` (the default)."""
    return "en" if (get_language() or "fr").lower().startswith("en") else "fr"


def pick(fr: Any, en: Any) -> Any:
    """The English value when English is active and it is set, else the French one."""
    return en if current_language() == "en" and en else fr


class TypologyEntry(models.Model):
    """Common fields of the typology tables: stable code, bilingual labels, order."""

    code = models.SlugField(_("code"), max_length=64, primary_key=True)
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the active language (French by default)."""
        return pick(self.label_fr, self.label_en)


class Family(TypologyEntry):
    description_fr = models.TextField(_("description (français)"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)

    class Meta(TypologyEntry.Meta):
        verbose_name = _("famille de pratiques")
        verbose_name_plural = _("familles de pratiques")

    @property
    def description(self) -> str:
        return pick(self.description_fr, self.description_en)


class Category(TypologyEntry):
    family = models.ForeignKey(
        Family, on_delete=models.PROTECT, related_name="categories", verbose_name=_("famille")
    )
    description_fr = models.TextField(_("description (français)"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)
    examples = models.JSONField(
        _("exemples"),
        default=list,
        blank=True,
        help_text=_("Liste de noms, ou d'objets {fr, en} quand l'exemple se traduit."),
    )
    osm_hints = models.JSONField(
        _("indices OpenStreetMap"),
        default=list,
        blank=True,
        help_text=_(
            "Liste d'objets {tags, disputed, note_fr, note_en} ; disputed signale une étiquette "
            "rare ou contestée, à vérifier sur des données réelles."
        ),
    )
    data_hints = models.JSONField(
        _("autres sources de données"),
        default=list,
        blank=True,
        help_text=_("Liste d'objets {fr, en}."),
    )
    retired = models.BooleanField(
        _("retirée"),
        default=False,
        help_text=_("N'est plus dans la typologie ; gardée pour les initiatives qui l'utilisent."),
    )

    class Meta(TypologyEntry.Meta):
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["family__position", "position", "code"]

    @property
    def description(self) -> str:
        return pick(self.description_fr, self.description_en)

    @property
    def localized_examples(self) -> list[str]:
        return [
            e if isinstance(e, str) else pick(e.get("fr", ""), e.get("en")) for e in self.examples
        ]

    @property
    def localized_osm_hints(self) -> list[dict[str, Any]]:
        return [
            {
                "tags": h.get("tags", []),
                "disputed": bool(h.get("disputed")),
                "note": pick(h.get("note_fr", ""), h.get("note_en")),
            }
            for h in self.osm_hints
        ]

    @property
    def localized_data_hints(self) -> list[str]:
        return [pick(h.get("fr", ""), h.get("en")) for h in self.data_hints]


class ExchangeMode(TypologyEntry):
    """One of the exchange modes of typology.md; a row, not a choice (see vocabularies.py)."""

    class Meta(TypologyEntry.Meta):
        verbose_name = _("mode d'échange")
        verbose_name_plural = _("modes d'échange")


PERSONAL_DATA_HELP = _(
    "Donnée personnelle (RGPD) dès qu'elle désigne une personne physique : ne la saisir "
    "qu'avec une base légale, ne jamais la publier ni l'exporter en open data. Préférer une "
    "adresse ou un téléphone de la structure."
)


# Kept by name so that services can write one history record per save (see services.py).
INITIATIVE_HISTORY = HistoricalRecords(
    verbose_name=_("historique d'initiative"),
    m2m_fields=["secondary_categories", "exchange_modes"],
    # The history is read per initiative (by id, kept indexed), never searched by these:
    # their indexes would only slow every import down.
    no_db_index=["category", "commune"],
)


class InitiativeQuerySet(models.QuerySet["Initiative"]):
    def public(self) -> "InitiativeQuerySet":
        """What the public pages, the API and the figures count: live, not merged into another,
        and published (a source under moderation holds its new initiatives for review)."""
        return self.filter(archived_at__isnull=True, merged_into__isnull=True, published=True)


class Initiative(models.Model):
    name = models.CharField(_("nom"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    # Null means « à classer »: an imported record that no rule places waits for a person
    # rather than getting a wrong category.
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="initiatives",
        verbose_name=_("catégorie principale"),
        db_index=False,  # the (category, status) index serves; one index less per import row
    )
    category_rule = models.CharField(
        _("règle de classement"),
        max_length=300,
        blank=True,
        help_text=_("Ce qui a choisi la catégorie : règle d'import, ou saisie manuelle."),
    )
    secondary_categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="secondary_initiatives",
        verbose_name=_("catégories secondaires"),
    )
    exchange_modes = models.ManyToManyField(
        ExchangeMode, blank=True, related_name="initiatives", verbose_name=_("modes d'échange")
    )
    counterpart = models.CharField(
        _("contrepartie"), max_length=20, choices=Counterpart.choices, blank=True
    )
    carrier = models.CharField(_("porteur"), max_length=24, choices=Carrier.choices, blank=True)
    network = models.CharField(
        _("réseau national ou marque"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple : Réseau des Ressourceries, Repair Café, Rezo Pouce."),
    )

    # Lifecycle: what makes emergence measurable.
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.ACTIF
    )
    created_on = models.DateField(_("date de création"), null=True, blank=True)
    opened_on = models.DateField(_("date d'ouverture"), null=True, blank=True)
    closed_on = models.DateField(_("date de fermeture"), null=True, blank=True)
    first_seen_on = models.DateField(
        _("première observation"),
        null=True,
        blank=True,
        help_text=_("Date à laquelle Maillage a vu l'initiative pour la première fois."),
    )
    # Emergence that means something: a record that came with the first harvest of its
    # source says nothing of the world; one absent from an earlier harvest does.
    appeared_on = models.DateField(
        _("apparition"),
        null=True,
        blank=True,
        help_text=_(
            "Date de la moisson où l'initiative est apparue dans une source déjà moissonnée "
            "(absente de la moisson précédente). Vide : venue avec le premier import de sa "
            "source, ou saisie à la main."
        ),
    )
    last_verified_on = models.DateField(_("dernière vérification"), null=True, blank=True)

    # Location: the commune is derived from the point, never typed by hand.
    lon = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("WGS84, en degrés décimaux (ex. -1.6778 pour Rennes)."),
    )
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_("WGS84, en degrés décimaux (ex. 48.1173 pour Rennes)."),
    )
    location_precision = models.CharField(
        _("précision de la localisation"),
        max_length=8,
        choices=LocationPrecision.choices,
        default=LocationPrecision.UNKNOWN,
    )
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postcode = models.CharField(
        _("code postal"), max_length=5, blank=True, validators=[validators.validate_postcode]
    )
    insee_code = models.CharField(
        _("code INSEE déclaré"),
        max_length=5,
        blank=True,
        validators=[validators.validate_insee_code],
        help_text=_(
            "Code commune donné par la source. Il ne sert à placer l'initiative que si les "
            "coordonnées manquent."
        ),
    )
    commune = models.ForeignKey(
        "territories.Territory",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="initiatives",
        verbose_name=_("commune"),
        help_text=_("Calculée à partir des coordonnées (ou du code INSEE déclaré)."),
    )
    commune_method = models.CharField(
        _("origine de la commune"),
        max_length=8,
        choices=CommuneMethod.choices,
        blank=True,
        editable=False,
    )

    # Identifiers.
    website = models.URLField(_("site web"), max_length=500, blank=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validators.validate_siret],
    )
    rna = models.CharField(
        _("numéro RNA"),
        max_length=10,
        blank=True,
        validators=[validators.validate_rna],
        help_text=_("Répertoire national des associations : W suivi de 9 chiffres."),
    )
    osm_id = models.CharField(
        _("identifiant OpenStreetMap"),
        max_length=40,
        blank=True,
        validators=[validators.validate_osm_id],
        help_text=_("node/123, way/123 ou relation/123."),
    )

    # Contact: personal data, kept apart from everything that is published.
    contact_name = models.CharField(
        _("nom du contact (donnée personnelle)"),
        max_length=200,
        blank=True,
        help_text=PERSONAL_DATA_HELP,
    )
    contact_email = models.EmailField(
        _("courriel du contact (donnée personnelle)"), blank=True, help_text=PERSONAL_DATA_HELP
    )
    contact_phone = models.CharField(
        _("téléphone du contact (donnée personnelle)"),
        max_length=30,
        blank=True,
        help_text=PERSONAL_DATA_HELP,
    )
    contact_is_personal = models.BooleanField(
        _("le contact désigne une personne physique"),
        default=True,
        help_text=_("Décocher seulement pour un contact générique de la structure."),
    )
    contact_legal_basis = models.CharField(
        _("base légale du traitement du contact"),
        max_length=24,
        choices=ContactLegalBasis.choices,
        blank=True,
        help_text=_("Obligatoire quand le contact désigne une personne physique."),
    )

    # Provenance of the record.
    source_name = models.CharField(_("source"), max_length=200, blank=True)
    source_url = models.URLField(_("adresse de la source"), max_length=500, blank=True)
    source_licence = models.CharField(
        _("licence de la source"),
        max_length=100,
        blank=True,
        help_text=_("Par exemple : ODbL, Licence Ouverte 2.0, CC-BY 4.0."),
    )

    created_at = models.DateTimeField(_("fiche créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("fiche modifiée le"), auto_now=True)
    archived_at = models.DateTimeField(
        _("archivée le"),
        null=True,
        blank=True,
        help_text=_("Absente de toutes ses sources après le délai de grâce ; jamais supprimée."),
    )
    # A duplicate merged into another initiative: archived, never deleted, so that the merge
    # can be undone (see maillage.dedupe.merges).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed",
        verbose_name=_("fusionnée dans"),
        db_index=False,  # nearly always null: a partial index (Meta) costs imports nothing
    )
    published = models.BooleanField(
        _("publiée"),
        default=True,
        help_text=_(
            "Décochée, l'initiative n'apparaît ni sur les pages publiques, ni dans l'API, ni "
            "dans les chiffres : c'est le cas des nouvelles fiches d'une source en modération, "
            "jusqu'à leur relecture."
        ),
    )
    # Field → id of the source record whose value the field holds, for initiatives fed by
    # several sources (after a merge); empty when one source feeds it all.
    field_sources = models.JSONField(_("provenance des champs"), default=dict, blank=True)

    history = INITIATIVE_HISTORY
    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lon__isnull=True, lat__isnull=True)
                | models.Q(lon__isnull=False, lat__isnull=False),
                name="initiative_lon_lat_together",
            ),
        ]
        indexes = [
            models.Index(fields=["category", "status"]),
            # Few initiatives have a SIRET: only those are indexed (for matching identifiers).
            models.Index(fields=["siret"], condition=~models.Q(siret=""), name="initiative_siret"),
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="initiative_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_point(self) -> bool:
        return self.lon is not None and self.lat is not None

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_email or self.contact_phone)

    def clean(self) -> None:
        """Checks that need no database: coordinates in pairs, dates in order, GDPR basis."""
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message: Any, code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

        if (self.lon is None) != (self.lat is None):
            add(
                "lat" if self.lat is None else "lon",
                _("Donnez la longitude et la latitude, ou aucune des deux."),
                "coordinates-incomplete",
            )
        if self.opened_on and self.closed_on and self.closed_on < self.opened_on:
            add("closed_on", _("La fermeture ne peut précéder l'ouverture."), "dates-order")
        if self.created_on and self.closed_on and self.closed_on < self.created_on:
            add("closed_on", _("La fermeture ne peut précéder la création."), "dates-order")
        if self.closed_on and self.status != Status.FERME:
            add(
                "status",
                _("Une initiative avec une date de fermeture doit avoir le statut « Fermé »."),
                "closed-status",
            )
        today = timezone.localdate()
        for field in ("first_seen_on", "last_verified_on"):
            value = getattr(self, field)
            if value and value > today:
                add(field, _("Cette date ne peut pas être dans le futur."), "date-in-future")
        if self.has_contact and self.contact_is_personal and not self.contact_legal_basis:
            add(
                "contact_legal_basis",
                _(
                    "Indiquez la base légale qui permet de garder ce contact personnel, ou "
                    "décochez « le contact désigne une personne physique » s'il s'agit d'un "
                    "contact générique de la structure."
                ),
                "contact-legal-basis",
            )
        if errors:
            raise ValidationError(errors)


class PlatformFootprint(models.Model):
    """A figure measuring a national platform on one territory at one date (not a pin).

    Examples: carpool trips starting in a commune, registered furnished tourist lets, number of
    "ruches". The territory is protected: removing it from the referential must not silently
    delete the figures attached to it.
    """

    platform = models.CharField(
        _("plateforme"), max_length=100, help_text=_("Par exemple : BlaBlaCar, Airbnb, Vinted.")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="footprints",
        verbose_name=_("catégorie"),
    )
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="platform_footprints",
        verbose_name=_("territoire"),
    )
    metric = models.SlugField(
        _("indicateur"),
        max_length=80,
        help_text=_("Code stable, par exemple trajets-depart ou meubles-tourisme."),
    )
    value = models.FloatField(_("valeur"))
    unit = models.CharField(_("unité"), max_length=40, blank=True)
    date = models.DateField(_("date"), help_text=_("Date ou début de la période mesurée."))
    source_name = models.CharField(_("source"), max_length=200)
    source_url = models.URLField(_("adresse de la source"), max_length=500, blank=True)
    source_licence = models.CharField(_("licence de la source"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The same figure inside the commune, by municipal arrondissement (Paris, Lyon,
    # Marseille): INSEE code of the arrondissement → value. Figures located by their point.
    breakdown = models.JSONField(_("détail par arrondissement"), default=dict, blank=True)
    # Short name of the import source that wrote it (its next import replaces what it wrote
    # for the same platform and dates); empty for a figure entered by hand.
    origin = models.CharField(
        _("source d'import"), max_length=100, blank=True, db_index=True, editable=False
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("empreinte d'une plateforme")
        verbose_name_plural = _("empreintes des plateformes")
        ordering = ["platform", "territory_id", "metric", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "territory", "metric", "date"],
                name="unique_platform_footprint",
                violation_error_message=_(
                    "Une valeur existe déjà pour cette plateforme, ce territoire, cet "
                    "indicateur et cette date."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.territory_id} · {self.metric} {self.date}: {self.value}"


# Activity reports live in their own module; importing them here registers the model.
from .activity import ActivityReport as ActivityReport  # noqa: E402
from .activity import Metric as Metric  # noqa: E402
