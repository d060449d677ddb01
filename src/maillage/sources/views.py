"""Staff import pages: list sources and jobs, upload a file for a dry run, follow it, read
the row-by-row report, confirm the real import, download reports.

Views only parse the request, call a presenter (reads) or a service (writes) and render; the
import itself runs in a background process (see background.py). The job page has a JSON twin
(`?format=json`).
"""

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from maillage.core.spreadsheets import SafeWriter
from maillage.core.twins import render_page

from . import presenters, services
from .forms import NewImportForm
from .models import Outcome, Source
from .selectors import REPORT_COLUMNS, report_rows
from .uploads import refused_upload


class HtmxHttpRequest(HttpRequest):
    """A request seen through django-htmx's middleware (typing only)."""

    htmx: HtmxDetails


class _Echo:
    """A write-only file for csv.writer: each row becomes one chunk of the response."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    writer = SafeWriter(_Echo())
    chunks: Iterator[str] = (writer.writerow(row) for row in rows)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_member_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    sources = presenters.sources_overview()
    context = {"sources": sources, "jobs": presenters.recent_jobs()}
    return render(request, "sources/index.html", context)


@staff_member_required
@require_http_methods(["GET", "POST"])
def new_import(request: HttpRequest) -> HttpResponse:
    form = NewImportForm(
        request.POST or None, request.FILES or None, refused_size=refused_upload(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_import(form.to_request(), form.cleaned_data["file"], request.user)
        except services.ImportRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Essai à blanc n° %(job)s lancé : rien n'est écrit avant votre confirmation.")
                % {"job": job.pk},
            )
            return redirect("imports:job", job_id=job.pk)
    context = {
        "form": form,
        "existing_sources": Source.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "sources/new.html", context, status=400 if form.errors else 200)


@staff_member_required
@require_safe
def job_detail(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    job = presenters.get_job(job_id)
    if request.htmx and request.GET.get("partial") == "status":
        if presenters.is_finished(job):  # the whole page now has the report: reload it once
            return HttpResponseClientRefresh()
        context = {"job": job, "progress": presenters.job_progress(job)}
        return render(request, "sources/_job_status.html", context)

    def page_context() -> dict[str, Any]:
        outcome = request.GET.get("resultat", "")
        if outcome not in Outcome.values:
            outcome = ""
        page = Paginator(presenters.job_items(job, outcome), presenters.ITEMS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return {
            "job": job,
            "finished": presenters.is_finished(job),
            "progress": presenters.job_progress(job),
            "backend_label": presenters.backend_label(job.source.backend),
            "file_label": Path(job.file_name).name,
            "rejected_count": int(job.outcomes.get(Outcome.REJECTED, 0)),
            "outcomes": presenters.outcome_counts(job),
            "categories": presenters.category_counts(job),
            "reasons": presenters.reason_counts(job),
            "mapping_json": presenters.mapping_json(job),
            "outcome": outcome,
            "outcome_choices": Outcome.choices,
            "page": page,
            "rows": presenters.item_rows(page.object_list),
            "confirmed": services.confirmed_by(job) if job.dry_run else None,
            "confirm_problem": services.confirmation_problem(job) if job.dry_run else "",
            "log_tail": presenters.log_tail(job),
        }

    return render_page(request, "sources/job.html", page_context, lambda: presenters.job_json(job))


@staff_member_required
@require_POST
def job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    dry_run = presenters.get_job(job_id)
    try:
        job = services.confirm_import(dry_run, request.user)
    except services.ImportRefused as error:
        messages.error(request, str(error))
        return redirect("imports:job", job_id=dry_run.pk)
    messages.success(
        request, _("Import n° %(job)s lancé à partir de l'essai à blanc.") % {"job": job.pk}
    )
    return redirect("imports:job", job_id=job.pk)


@staff_member_required
@require_safe
def job_report(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = presenters.get_job(job_id)
    rows = (row for part in ([REPORT_COLUMNS], report_rows(job)) for row in part)
    return _csv_response(rows, f"import-{job.pk}-rapport.csv")


@staff_member_required
@require_safe
def job_rejected(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = presenters.get_job(job_id)
    return _csv_response(presenters.rejected_rows(job), f"import-{job.pk}-lignes-rejetees.csv")


@staff_member_required
@require_safe
def job_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = presenters.get_job(job_id)
    response = HttpResponse(
        presenters.mapping_json(job) + "\n", content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="correspondance-{job.source.name}.json"'
    )
    return response
