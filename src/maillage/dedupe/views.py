"""Staff review of duplicate candidates: the queue, a pair side by side (merge / not a
duplicate / later, by mouse or keyboard), recent merges with undo. Views parse, call a
presenter or a service, render."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maillage.core.twins import render_page

from . import presenters
from .merges import MergeRefused, undo_merge
from .models import DuplicatePair, Merge
from .services import decide, merge_group, reopen_batch, set_group_apart, undo_batch
from .tasks import queue_dedupe


@staff_member_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("etat", "")
    page = Paginator(presenters.queue(status), presenters.PAIRS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    distance = presenters.group_distance(request.GET.get("distance"))
    found = presenters.groups(distance)

    def context() -> dict[str, object]:
        return {
            "page": page,
            "status": status,
            "statuses": DuplicatePair.Status.choices,
            "search": presenters.search_state(),
            "groups": found,
            "group_distance": distance,
            "group_distances": presenters.GROUP_DISTANCES_M,
            "set_apart": presenters.set_apart_batches(),
        }

    return render_page(
        request,
        "dedupe/queue.html",
        context,
        lambda: presenters.queue_json(page, status, found, distance),
    )


@staff_member_required
@require_POST
def group_decide(request: HttpRequest) -> HttpResponse:
    """Merge every pair of a group shown on the queue page (those still in it), or mark them
    all « pas des doublons »."""
    ids = [int(i) for i in request.POST.getlist("paire") if i.isdigit()]
    distance = presenters.group_distance(request.POST.get("distance"))
    pairs = presenters.group_pairs(
        request.POST.get("commune", ""), request.POST.get("nom", ""), ids, distance
    )
    back = f"{reverse('dedupe:queue')}?distance={distance}"
    if not pairs:
        messages.error(request, _("Ce groupe n'a plus de paire à relire : rien n'a été décidé."))
        return redirect(back)
    if request.POST.get("decision") == "not-duplicate":
        outcome = set_group_apart(pairs, request.user)
        message = _(
            "%(decided)s paires marquées « pas des doublons » (%(refused)s déjà décidées). "
            "Le lot se rouvre d'un coup depuis cette page."
        )
    else:
        outcome = merge_group(pairs, request.user)
        message = _(
            "%(decided)s paires fusionnées ensemble (%(refused)s déjà réglées par une autre "
            "fusion du groupe). Le lot s'annule d'un coup depuis « Fusions récentes »."
        )
    messages.success(request, message % {"decided": outcome.decided, "refused": outcome.refused})
    return redirect(back)


@staff_member_required
@require_POST
def batch_reopen(request: HttpRequest, batch: str) -> HttpResponse:
    """Undo a group decision « pas des doublons »: its pairs go back to the queue."""
    reopened = reopen_batch(batch, request.user)
    if reopened:
        messages.success(
            request, _("Lot rouvert : %(count)s paires de nouveau à relire.") % {"count": reopened}
        )
    else:
        messages.error(request, _("Ce lot n'a plus de paire à rouvrir."))
    return redirect("dedupe:queue")


@staff_member_required
@require_POST
def search(request: HttpRequest) -> HttpResponse:
    if queue_dedupe():
        messages.success(
            request,
            _(
                "Recherche de doublons mise en file : le processus de travail la fera ; "
                "rechargez cette page dans quelques minutes."
            ),
        )
    else:
        messages.info(request, _("Une recherche de doublons attend déjà son tour."))
    return redirect("dedupe:queue")


@staff_member_required
@require_GET
def pair_detail(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = presenters.get_pair(pair_id)

    def context() -> dict[str, object]:
        return {
            "pair": pair,
            "rows": presenters.side_by_side(pair),
            "parts": presenters.score_parts(pair),
            "open": pair.status in presenters.OPEN,
        }

    return render_page(request, "dedupe/pair.html", context, lambda: presenters.pair_json(pair))


@staff_member_required
@require_POST
def pair_decide(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair = presenters.get_pair(pair_id)
    decision = request.POST.get("decision", "")
    survivor = request.POST.get("survivor", "")
    try:
        decide(pair, decision, request.user, int(survivor) if survivor.isdigit() else None)
    except (MergeRefused, ValueError) as error:
        messages.error(request, str(error))
        return redirect("dedupe:pair", pair_id=pair.pk)
    messages.success(request, _("Décision enregistrée pour la paire n° %(id)s.") % {"id": pair.pk})
    following = presenters.next_pair(pair)
    if following is None:
        return redirect("dedupe:queue")
    return redirect("dedupe:pair", pair_id=following.pk)


@staff_member_required
@require_GET
def merges(request: HttpRequest) -> HttpResponse:
    context = {"merges": presenters.recent_merges(), "batches": presenters.recent_batches()}
    return render(request, "dedupe/merges.html", context)


@staff_member_required
@require_POST
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = get_object_or_404(Merge, pk=merge_id)
    try:
        undo_merge(merge, request.user)
    except MergeRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Fusion annulée : les deux fiches sont de nouveau séparées."))
    return redirect("dedupe:merges")


@staff_member_required
@require_POST
def batch_undo(request: HttpRequest, batch: str) -> HttpResponse:
    undone = undo_batch(batch, request.user)
    if undone:
        messages.success(request, _("Lot annulé : %(count)s fusions défaites.") % {"count": undone})
    else:
        messages.error(request, _("Ce lot n'a plus de fusion à annuler."))
    return redirect("dedupe:merges")
