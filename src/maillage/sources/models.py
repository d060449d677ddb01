"""Imports as Source → HarvestJob → HarvestItem, plus the SourceRecord that ties one remote
record to its initiative across runs (the upsert key is (source, remote_id))."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJSONField(models.JSONField):
    """JSON written by the import engine (orjson's output: valid by construction) or by the
    ORM, without the JSON_VALID check Django adds on SQLite: checking every value again cost
    a twentieth of a million-row import. PostgreSQL's jsonb checks its input anyway."""

    def db_check(self, connection: Any) -> None:
        return None


class Source(models.Model):
    class Moderation(models.TextChoices):
        PUBLISH = "publish", _("publiée directement")
        REVIEW = "review", _("à relire avant publication")

    name = models.SlugField(_("nom court"), max_length=100, unique=True)
    label = models.CharField(_("intitulé"), max_length=200, blank=True)
    backend = models.CharField(_("format"), max_length=20)
    location = models.CharField(
        _("fichier ou adresse"), max_length=500, blank=True, help_text=_("Dernier fichier lu.")
    )
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    attribution = models.CharField(_("attribution"), max_length=300, blank=True)
    mapping = models.JSONField(_("correspondance des colonnes"), default=dict, blank=True)
    default_category = models.CharField(
        _("catégorie de toute la source"), max_length=60, blank=True
    )
    harvest_every_days = models.PositiveSmallIntegerField(
        _("moisson tous les (jours)"),
        null=True,
        blank=True,
        help_text=_(
            "Vide : pas de moisson programmée. Sinon le processus de travail relit le dernier "
            "fichier de la source à cette fréquence (30 : tous les mois)."
        ),
    )
    next_harvest_at = models.DateTimeField(_("prochaine moisson"), null=True, blank=True)
    moderation = models.CharField(
        _("modération"), max_length=10, choices=Moderation.choices, default=Moderation.PUBLISH
    )
    archive_after_days = models.PositiveIntegerField(
        _("délai avant archivage (jours)"),
        default=30,
        help_text=_(
            "Une fiche absente des imports suivants est archivée (jamais supprimée) après ce délai."
        ),
    )
    trust = models.PositiveSmallIntegerField(
        _("confiance (0 à 100)"),
        default=50,
        help_text=_(
            "Quand deux sources d'une même initiative (fusionnée) donnent des valeurs "
            "différentes, vérifiées le même jour, celle de la source la plus sûre l'emporte."
        ),
    )
    # What the source inventories, and where: a category with no covering source is « non
    # couvert » on a territory rather than 0 (see sources/coverage.py).
    coverage_categories = models.JSONField(
        _("catégories recensées"),
        default=list,
        blank=True,
        help_text=_(
            "Codes de la typologie que la source recense entièrement (par exemple "
            '["boites-a-livres"]). Vide : proposées au premier import d\'après ce qui a été lu.'
        ),
    )
    coverage_area = models.JSONField(
        _("territoire recensé"),
        default=list,
        blank=True,
        help_text=_(
            'Identifiants des territoires que la source recense (par exemple ["fr"], '
            '["reg:53"], ["com:35238", "com:35047"]). Vide : proposé au premier import.'
        ),
    )
    coverage_proposed = models.BooleanField(
        _("couverture proposée par l'import"),
        default=False,
        help_text=_(
            "Cochée quand la couverture a été déduite des données lues et que personne ne l'a "
            "confirmée ; décochez-la en la confirmant."
        ),
    )
    data_vintage = models.DateField(
        _("millésime des données"),
        null=True,
        blank=True,
        help_text=_(
            "Date que décrivent les données (2019 pour le recensement des tiers-lieux du "
            "CGET), distincte de la date d'import."
        ),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class HarvestJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        DONE_WITH_ERRORS = "done-with-errors", _("terminé avec des lignes rejetées")
        FAILED = "failed", _("échoué")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    dry_run = models.BooleanField(_("essai à blanc"), default=False)
    file_name = models.CharField(_("fichier"), max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    # How the file was read: backend, mapping, referential, typology and import code. The same
    # file read the same way as the last run gives the same rows: see replay.py.
    input_key = models.CharField(max_length=64, blank=True)
    # Live records of the source (not archived, with their initiative) after this run: if
    # the count differs at the next run, records or initiatives were deleted in between.
    live_records = models.PositiveIntegerField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("début"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    # Who holds the source's lock: a crashed run is recognised by its dead process.
    pid = models.PositiveIntegerField(null=True, blank=True)
    # Runs by the background worker: an interrupted run is queued again up to MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    host = models.CharField(max_length=200, blank=True)
    # Rows read so far, written with each batch's commit: the job page follows it live.
    rows = models.PositiveIntegerField(_("lignes lues"), default=0)
    progress_at = models.DateTimeField(_("dernière progression"), null=True, blank=True)
    outcomes = models.JSONField(_("issues par résultat"), default=dict)
    categories = models.JSONField(_("catégories"), default=dict)
    reasons = models.JSONField(_("motifs"), default=dict)
    mapping = models.JSONField(_("correspondance utilisée"), default=dict, blank=True)
    # The file's columns in their order (PostgreSQL's jsonb does not keep the order of keys):
    # the rejected rows are handed back in this order, ready to fix.
    columns = models.JSONField(_("colonnes du fichier"), default=list, blank=True)
    # What the backend said about the whole file (encoding, header line, blank lines…).
    notes = models.JSONField(_("remarques sur le fichier"), default=list, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    # A footprint import (sources/footprints.py): the figures it wrote, or would write (dry
    # run) — new, updated, unchanged, removed, conflicts — and the date they describe.
    figures = models.JSONField(_("chiffres d'empreinte"), default=dict, blank=True)
    # Label, licence and attribution given with a dry run from the import pages: public on
    # /sources/, so they reach the source only when the import is confirmed.
    source_settings = models.JSONField(
        _("réglages de la source à confirmer"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} ({self.get_status_display()})"


class Outcome(models.TextChoices):
    NEW = "new", _("nouvelle")
    UPDATED = "updated", _("mise à jour")
    UNCHANGED = "unchanged", _("inchangée")
    SKIPPED = "skipped", _("ignorée")
    REJECTED = "rejected", _("rejetée")
    ARCHIVED = "archived", _("archivée")


class SourceRecord(models.Model):
    """One remote record of a source, across runs: what was last imported, and where."""

    # No index of its own: the unique (source, remote_id) constraint serves.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    remote_id = models.CharField(max_length=200)
    initiative = models.ForeignKey(
        "catalog.Initiative", null=True, on_delete=models.SET_NULL, related_name="source_records"
    )
    raw_hash = models.CharField(max_length=40)
    # The values this source gave last time: a field whose current value differs from it was
    # edited by staff, and a new import must not overwrite it silently.
    imported = ImportJSONField(default=dict)
    # Not indexed: never searched by; an index would cost every imported row. Whether a
    # record is still in the source is worked out at the end of each run (archive_missing).
    first_seen_job = models.ForeignKey(
        HarvestJob, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    last_changed_job = models.ForeignKey(
        HarvestJob, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    missing_since = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # When the source last vouched for these values: its own "last updated" date when it
    # gives one, else the day an import brought them. Decides between two sources.
    verified_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("fiche d'une source")
        verbose_name_plural = _("fiches des sources")
        constraints = [
            models.UniqueConstraint(fields=["source", "remote_id"], name="unique_remote_id")
        ]
        indexes = [
            # The few records missing from the last runs, found without reading every record
            # of the source (the rest are not in this index: it costs imports nothing).
            models.Index(
                fields=["source", "missing_since"],
                name="record_missing",
                condition=models.Q(missing_since__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.remote_id}"


class HarvestItem(models.Model):
    """One row of one job: the row as received, what happened to it, and why."""

    # No index of its own: the (job, outcome) index serves.
    job = models.ForeignKey(
        HarvestJob, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    row_number = models.PositiveIntegerField(_("ligne"))
    remote_id = models.CharField(_("identifiant distant"), max_length=200, blank=True)
    raw = ImportJSONField(_("ligne reçue"))
    outcome = models.CharField(_("résultat"), max_length=10, choices=Outcome.choices)
    reasons = ImportJSONField(_("motifs et remarques"), default=list)
    conflicts = ImportJSONField(_("conflits avec des modifications manuelles"), default=list)
    diff = ImportJSONField(_("changements"), default=dict)
    commune_id = models.CharField(_("commune"), max_length=24, blank=True)
    category = models.CharField(_("catégorie"), max_length=60, blank=True)
    category_rule = models.CharField(_("règle de classement"), max_length=300, blank=True)
    initiative = models.ForeignKey(
        "catalog.Initiative", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ligne importée")
        verbose_name_plural = _("lignes importées")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "outcome"])]

    def __str__(self) -> str:
        return f"#{self.job_id} l.{self.row_number} {self.outcome}"


class UnchangedRows(models.Model):
    """The rows of one batch seen again exactly as last time, with nothing to report: stored
    together — one database row per batch instead of one per file row is what keeps a
    monthly re-run of a million rows cheap. They read back as HarvestItems (see items.py)."""

    job = models.ForeignKey(HarvestJob, on_delete=models.CASCADE, related_name="unchanged_rows")
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    # [[row_number, remote_id, initiative_id, category], …] in row order
    rows = models.JSONField()

    class Meta:
        verbose_name = _("lignes inchangées")
        verbose_name_plural = _("lignes inchangées")
        ordering = ["job", "first_row"]

    def __str__(self) -> str:
        return f"#{self.job_id} l.{self.first_row}–{self.last_row} ({self.count})"


class PriorState(models.Model):
    """What one batch of a running import is about to change, as it was before (initiatives
    and source records, serialised with their many-to-many links).

    An import commits batch by batch, so that the site and other jobs never wait long for it;
    if it fails or its process dies, `undo.undo_job` puts these back, newest first, and
    deletes what the job created. A finished job's states are deleted with it."""

    job = models.ForeignKey(HarvestJob, on_delete=models.CASCADE, related_name="prior_states")
    # {"rows": django.core.serializers' "python" form, "no_history": initiative ids}, as
    # JSON with exact times (see undo.py).
    objects_json = models.TextField()

    class Meta:
        verbose_name = _("état avant import")
        verbose_name_plural = _("états avant import")
        ordering = ["job", "id"]

    def __str__(self) -> str:
        return f"#{self.job_id} état {self.pk}"
