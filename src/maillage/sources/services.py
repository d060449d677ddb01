"""Writes of the staff import pages: save the uploaded file, set up the source, create the
pending job, and queue it for the background worker once the transaction is committed."""

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from maillage.core.errors import MaillageError

from . import tasks
from .backends import default_moderation
from .models import HarvestJob, Source

DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
FINISHED = (HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS)
# What the form gives that /sources/ shows: applied only when the dry run is confirmed.
PUBLIC_SETTINGS = ("label", "licence", "attribution")
# How a dry run reads its file: kept on the job, given to the source on confirmation.
RUN_SETTINGS = ("mapping", "default_category", "moderation")


class ImportRefused(MaillageError):
    """The import cannot be started as asked (stable code `import-refused`); the message, in
    French, says why and what to do."""

    code = "import-refused"
    status = 409


@dataclass
class NewImport:
    """What the "new import" form asks for (already validated)."""

    backend: str
    source: str
    label: str = ""
    licence: str = ""
    attribution: str = ""
    category: str = ""
    mapping: dict[str, Any] | None = None
    moderation: str = ""  # "" keeps the source's


def max_upload_bytes() -> int:
    """Largest accepted upload (setting MAILLAGE_IMPORT_MAX_UPLOAD_BYTES, 200 MB by default)."""
    return int(getattr(settings, "MAILLAGE_IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def safe_file_name(name: str) -> str:
    """The uploaded file's own name, without any folder, reduced to safe characters."""
    base = Path(name.replace("\\", "/")).name
    try:
        cleaned = get_valid_filename(base)
    except Exception:  # SuspiciousFileOperation for "", "." or ".."
        cleaned = ""
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(suffix) <= 10:
        return f"{stem[:120]}.{suffix}" if stem else f"fichier.{suffix}"
    return cleaned[:120] or "fichier"


def save_upload(upload: UploadedFile) -> Path:
    """Store the file under DATA_DIR/uploads/<random>/<name>: it stays there for the
    confirmation run and for later checks."""
    folder = uploads_dir() / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / safe_file_name(upload.name or "")
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def _start_after_commit(job: HarvestJob) -> None:
    tasks.queue_job(job)


def create_import(new: NewImport, upload: UploadedFile, user: Any) -> HarvestJob:
    """Save the file, create or update the source, and start a dry run of it in the
    background. Returns the pending job. Nothing is kept of a request that fails, the file
    included."""
    path = save_upload(upload)
    try:
        return _create_dry_run(new, path, user)
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise


def _create_dry_run(new: NewImport, path: Path, user: Any) -> HarvestJob:
    with transaction.atomic():
        source, created = Source.objects.select_for_update().get_or_create(
            name=new.source,
            defaults={
                "backend": new.backend,
                "label": new.label or new.source,
                "moderation": default_moderation(new.backend),
            },
        )
        if not created and source.backend != new.backend:
            raise ImportRefused(
                _(
                    "La source « %(source)s » est au format %(backend)s : choisissez ce format "
                    "ou un autre nom court."
                )
                % {"source": source.name, "backend": source.backend}
            )
        # The dry run reads the file with these settings; the source takes them only when
        # the dry run is confirmed (a dry run changes nothing, its settings included).
        run_settings = {"mapping": new.mapping or {}, "default_category": new.category}
        if new.moderation:  # empty keeps what the source already says
            run_settings["moderation"] = new.moderation
        job = HarvestJob.objects.create(
            source=source,
            status=HarvestJob.Status.PENDING,
            dry_run=True,
            file_name=str(path),
            started_by=user if getattr(user, "is_authenticated", False) else None,
            # shown on /sources/: kept with the dry run until it is confirmed
            source_settings={
                **run_settings,
                **{
                    name: getattr(new, name)
                    for name in PUBLIC_SETTINGS
                    if getattr(new, name)  # an empty field keeps what the source already says
                },
            },
        )
        _start_after_commit(job)
    return job


def confirmed_by(dry_run: HarvestJob) -> HarvestJob | None:
    """The real import started from this dry run, if any."""
    return (
        HarvestJob.objects.filter(
            source_id=dry_run.source_id,
            dry_run=False,
            file_name=dry_run.file_name,
            pk__gt=dry_run.pk,
        )
        .order_by("pk")
        .first()
    )


def confirmation_problem(dry_run: HarvestJob) -> str:
    """Why this dry run cannot be confirmed, or "" when it can."""
    if not dry_run.dry_run:
        return _("Cet import n'est pas un essai à blanc.")
    if dry_run.status not in FINISHED:
        return _("L'essai à blanc n'est pas terminé avec succès.")
    if HarvestJob.objects.filter(source_id=dry_run.source_id, pk__gt=dry_run.pk).exists():
        return _(
            "Un import plus récent de cette source existe : relancez un essai à blanc avant de "
            "confirmer."
        )
    if not Path(dry_run.file_name).is_file():
        return _("Le fichier de l'essai n'est plus disponible : déposez-le de nouveau.")
    return ""


def _apply_source_settings(dry_run: HarvestJob) -> None:
    """The settings given with the dry run, now that it is confirmed: how to read the file
    (mapping, category, moderation), where it is, and what /sources/ shows (the real import
    copies the licence to the initiatives it writes)."""
    known = (*PUBLIC_SETTINGS, *RUN_SETTINGS)
    given = {k: v for k, v in (dry_run.source_settings or {}).items() if k in known}
    Source.objects.filter(pk=dry_run.source_id).update(location=dry_run.file_name, **given)


def confirm_import(dry_run: HarvestJob, user: Any) -> HarvestJob:
    """Create the real import of the dry run's file, with the same source settings, and start
    it in the background."""
    with transaction.atomic():
        Source.objects.select_for_update().filter(pk=dry_run.source_id).first()
        problem = confirmation_problem(dry_run)
        if problem:
            raise ImportRefused(problem)
        _apply_source_settings(dry_run)
        job = HarvestJob.objects.create(
            source_id=dry_run.source_id,
            status=HarvestJob.Status.PENDING,
            dry_run=False,
            file_name=dry_run.file_name,
            started_by=user if getattr(user, "is_authenticated", False) else None,
        )
        _start_after_commit(job)
    return job
