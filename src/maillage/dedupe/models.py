"""Duplicate candidates, the decisions people take on them, and merges that can be undone."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DedupeRun(models.Model):
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    dry_run = models.BooleanField(_("essai à blanc"), default=False)
    initiatives = models.PositiveIntegerField(_("initiatives comparées"), default=0)
    candidates = models.PositiveIntegerField(_("paires candidates"), default=0)
    auto_merged = models.PositiveIntegerField(_("fusions automatiques"), default=0)
    to_review = models.PositiveIntegerField(_("paires à relire"), default=0)
    cross_source_pairs = models.PositiveIntegerField(_("paires entre sources"), default=0)
    auto_threshold = models.FloatField(_("seuil de fusion automatique"))
    review_threshold = models.FloatField(_("seuil de relecture"))

    class Meta:
        verbose_name = _("recherche de doublons")
        verbose_name_plural = _("recherches de doublons")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


class DuplicatePair(models.Model):
    """Two initiatives that may be one; `left` has the smaller id. The decision stays with
    the pair across harvests (initiatives keep their ids from one import to the next)."""

    class Status(models.TextChoices):
        TO_REVIEW = "to-review", _("à relire")
        LATER = "later", _("plus tard")
        NOT_DUPLICATE = "not-duplicate", _("pas un doublon")
        MERGED = "merged", _("fusionnées")
        UNDONE = "undone", _("fusion annulée")

    left = models.ForeignKey(
        "catalog.Initiative", on_delete=models.CASCADE, related_name="+", verbose_name=_("fiche A")
    )
    right = models.ForeignKey(
        "catalog.Initiative", on_delete=models.CASCADE, related_name="+", verbose_name=_("fiche B")
    )
    score = models.FloatField(_("score"))
    components = models.JSONField(_("composantes du score"), default=dict)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.TO_REVIEW
    )
    found_by = models.ForeignKey(DedupeRun, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    # A group decision « pas des doublons » taken at once: reopened at once (services).
    batch = models.CharField(_("lot de décision"), max_length=32, blank=True, db_index=True)

    class Meta:
        verbose_name = _("paire de doublons possibles")
        verbose_name_plural = _("paires de doublons possibles")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="unique_duplicate_pair"),
            models.CheckConstraint(
                condition=models.Q(left__lt=models.F("right")), name="pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"])]

    def __str__(self) -> str:
        return f"{self.left_id} ~ {self.right_id} ({self.score:.2f})"


class Merge(models.Model):
    """One initiative absorbed into another, with what is needed to undo it."""

    pair = models.ForeignKey(
        DuplicatePair, null=True, on_delete=models.SET_NULL, related_name="merges"
    )
    survivor = models.ForeignKey("catalog.Initiative", on_delete=models.CASCADE, related_name="+")
    absorbed = models.ForeignKey("catalog.Initiative", on_delete=models.CASCADE, related_name="+")
    automatic = models.BooleanField(_("automatique"), default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("fusionnée le"), auto_now_add=True)
    # Field values of the survivor that the merge filled in, as they were: {field: old}.
    filled = models.JSONField(_("champs complétés"), default=dict)
    moved_records = models.JSONField(_("fiches de source rattachées"), default=list)
    field_sources_before = models.JSONField(default=dict)
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    # The merges a person decided at once on the review page (a group of pairs) share a
    # batch: they are undone together.
    batch = models.CharField(_("lot"), max_length=32, blank=True, default="", db_index=True)

    class Meta:
        verbose_name = _("fusion")
        verbose_name_plural = _("fusions")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id}"
