"""The live initiatives as matching Records (one query for the initiatives, one for sources)."""

import re
from collections import defaultdict
from urllib.parse import urlsplit

from maillage.catalog.models import Initiative
from maillage.sources.models import SourceRecord

from .scoring import Record

_DIGITS = re.compile(r"\D+")


def website_host(url: str) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:  # "Invalid IPv6 URL" and the like: no host to compare
        return ""
    return host.lower().removeprefix("www.")


def phone_digits(phone: str) -> str:
    digits = _DIGITS.sub("", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else ""


def live_initiative_records() -> list[Record]:
    """Every initiative neither archived nor merged, as matching needs it."""
    sources: dict[int, list[str]] = defaultdict(list)
    for initiative_id, source in SourceRecord.objects.filter(
        initiative__isnull=False, archived_at__isnull=True
    ).values_list("initiative_id", "source__name"):
        sources[initiative_id].append(source)
    rows = Initiative.objects.filter(archived_at__isnull=True, merged_into__isnull=True).values_list(
        "id", "name", "lon", "lat", "commune_id", "commune__name", "category_id",
        "category__family_id", "address", "siret", "rna", "osm_id", "website", "contact_phone",
    )  # fmt: skip
    return [
        Record(
            id=pk,
            name=name,
            lon=lon,
            lat=lat,
            commune=commune or "",
            commune_name=commune_name or "",
            category=category or "",
            family=family or "",
            address=address,
            siret=siret,
            rna=rna,
            osm_id=osm_id,
            website=website_host(website),
            phone=phone_digits(phone),
            sources=tuple(sorted(set(sources.get(pk, [])))),
        )  # fmt: skip
        for (
            pk,
            name,
            lon,
            lat,
            commune,
            commune_name,
            category,
            family,
            address,
            siret,
            rna,
            osm_id,
            website,
            phone,
        ) in rows  # fmt: skip
    ]
