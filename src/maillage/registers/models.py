"""Official registers as figures: what a register file says about establishments per territory
and year (SIRENE), and the table that ties the register's activity codes to the typology.

- `NafRule`: one line of the mapping table (`data/naf_typology.json`, loaded by
  `mapping.sync_rules`, editable in the administration, every change kept in its history);
  `MappingLoad` records each load of the file (its version and checksum).
- `RegisterImport`: one successful import of a register file (a failed one writes nothing).
  Only the latest of each source is `current`: its counts are the ones shown.
- `RegisterCount`: creations, closures, reopenings and stock at 31 December, per territory
  (every commune of the file and each of its ancestors up to France), year, activity code,
  legal form and ESS flag — the register's facts, independent of the mapping.
- `RegisterSeries`: the same counts summed per scope of the typology through the mapping
  table (« all » establishments, « practices »: every mapped code, « cat:<code> »), rebuilt
  from `RegisterCount` whenever the table changes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class NafRule(models.Model):
    class Nomenclature(models.TextChoices):
        NAF_REV2 = "NAFRev2", _("NAF rév. 2 (2008)")
        NAF_OLD = "NAF1993", _("NAF 1993 ou NAF rév. 1 (2003)")
        NAP = "NAP", _("NAP (1973)")

    class Ess(models.TextChoices):
        ANY = "", _("indifférent")
        YES = "O", _("entreprise de l'ESS (O)")
        NO = "N", _("hors ESS (N)")

    class Origin(models.TextChoices):
        FILE = "file", _("fichier du projet")
        ADMIN = "admin", _("ajoutée dans l'administration")

    naf = models.CharField(
        _("code d'activité"),
        max_length=8,
        blank=True,
        help_text=_(
            "Code complet (95.29Z), classe (95.29), groupe (95.2) ou division (95), avec le "
            "point ; vide : toute activité (règle sur la forme juridique seule)."
        ),
    )
    nomenclature = models.CharField(
        _("nomenclature"),
        max_length=8,
        choices=Nomenclature.choices,
        default=Nomenclature.NAF_REV2,
    )
    legal_forms = models.JSONField(
        _("formes juridiques"),
        default=list,
        blank=True,
        help_text=_(
            "Codes de catégorie juridique (niveau III, 4 chiffres) ou leurs débuts "
            '(["92"] : associations) ; vide : toute forme.'
        ),
    )
    ess = models.CharField(
        _("économie sociale et solidaire"),
        max_length=1,
        choices=Ess.choices,
        default=Ess.ANY,
        blank=True,
    )
    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("catégorie"),
        help_text=_("Vide : le code est examiné et écarté (pas une pratique), avec sa raison."),
    )
    activity = models.CharField(_("activité"), max_length=200, blank=True)
    rationale_fr = models.TextField(_("raison (français)"))
    rationale_en = models.TextField(_("raison (anglais)"), blank=True)
    origin = models.CharField(
        _("origine"), max_length=8, choices=Origin.choices, default=Origin.ADMIN
    )
    # Set when staff change a rule: loading the project file again keeps their change.
    edited_at = models.DateTimeField(_("modifiée le"), null=True, blank=True)
    history = HistoricalRecords(
        verbose_name=_("historique d'une règle de correspondance"),
        excluded_fields=["edited_at"],
    )

    class Meta:
        verbose_name = _("règle de correspondance NAF → typologie")
        verbose_name_plural = _("table de correspondance NAF → typologie")
        ordering = ["nomenclature", "naf", "id"]

    def __str__(self) -> str:
        target = self.category_id or "—"
        forms = f" [{', '.join(self.legal_forms)}]" if self.legal_forms else ""
        ess = f" ESS={self.ess}" if self.ess else ""
        return f"{self.naf or '*'} ({self.nomenclature}){forms}{ess} → {target}"


class MappingLoad(models.Model):
    """One load of the project's mapping file into the table."""

    version = models.CharField(_("version"), max_length=40)
    file_sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(_("chargée le"))
    counts = models.JSONField(_("décomptes"), default=dict)

    class Meta:
        verbose_name = _("chargement de la table de correspondance")
        verbose_name_plural = _("chargements de la table de correspondance")
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} ({self.loaded_at:%Y-%m-%d %H:%M})"


class RegisterImport(models.Model):
    class Register(models.TextChoices):
        SIRENE = "sirene", _("SIRENE (INSEE)")

    source = models.SlugField(_("nom court de la source"), max_length=100)
    register = models.CharField(_("registre"), max_length=10, choices=Register.choices)
    label = models.CharField(_("intitulé"), max_length=200, blank=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    layout = models.CharField(_("format du fichier"), max_length=40)
    file_name = models.CharField(_("fichier"), max_length=500)
    file_sha256 = models.CharField(max_length=64)
    # How the file was read (code version and options): the same file read the same way
    # changes nothing.
    input_key = models.CharField(max_length=64)
    vintage = models.DateField(_("millésime des données"))
    imported_at = models.DateTimeField(_("importé le"))
    seconds = models.FloatField(_("durée (s)"), default=0)
    rows = models.PositiveIntegerField(_("lignes lues"), default=0)
    outcomes = models.JSONField(_("lignes par résultat"), default=dict)
    reasons = models.JSONField(_("motifs"), default=dict)
    notes = models.JSONField(_("remarques sur le fichier"), default=list)
    # [[line, siret, outcome, reason], …] for the skipped and rejected rows (capped): no other
    # cell is kept, names of individual entrepreneurs included.
    issues = models.JSONField(_("lignes écartées"), default=list)
    # INSEE codes the file describes, as written (arrondissements included): its coverage.
    codes = models.JSONField(_("codes des communes décrites"), default=list)
    establishments = models.PositiveIntegerField(_("établissements"), default=0)
    current = models.BooleanField(_("en vigueur"), default=True)

    class Meta:
        verbose_name = _("import d'un registre")
        verbose_name_plural = _("imports des registres")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(current=True),
                name="one_current_import_per_register_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} ({self.vintage})"


class RegisterCount(models.Model):
    run = models.ForeignKey(RegisterImport, on_delete=models.CASCADE, related_name="counts")
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    naf = models.CharField(_("code d'activité"), max_length=8, blank=True)
    nomenclature = models.CharField(_("nomenclature"), max_length=8, blank=True)
    legal_form = models.CharField(_("catégorie juridique"), max_length=4, blank=True)
    ess = models.CharField(_("ESS"), max_length=1, blank=True)
    year = models.PositiveSmallIntegerField(_("année"))
    creations = models.PositiveIntegerField(_("créations"), default=0)
    closures = models.PositiveIntegerField(_("fermetures"), default=0)
    reopenings = models.PositiveIntegerField(_("réouvertures"), default=0)
    stock = models.PositiveIntegerField(_("actifs au 31 décembre"), default=0)

    class Meta:
        verbose_name = _("décompte d'un registre")
        verbose_name_plural = _("décomptes des registres")
        indexes = [models.Index(fields=["territory", "run"], name="register_count_territory")]

    def __str__(self) -> str:
        return f"{self.territory_id} {self.year} {self.naf or '?'}"


class RegisterSeries(models.Model):
    run = models.ForeignKey(RegisterImport, on_delete=models.CASCADE, related_name="series")
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scope = models.CharField(_("périmètre"), max_length=80)
    year = models.PositiveSmallIntegerField(_("année"))
    creations = models.PositiveIntegerField(_("créations"), default=0)
    closures = models.PositiveIntegerField(_("fermetures"), default=0)
    stock = models.PositiveIntegerField(_("actifs au 31 décembre"), default=0)

    class Meta:
        verbose_name = _("série d'un registre")
        verbose_name_plural = _("séries des registres")
        indexes = [models.Index(fields=["territory", "run"], name="register_series_territory")]

    def __str__(self) -> str:
        return f"{self.territory_id} {self.scope} {self.year}"
