"""Numbers and coordinates as French open data writes them."""

import math
import re

from pyproj import Transformer

_LAMBERT93 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def parse_number(text: object) -> float | None:
    """`"48.11"`, `"48,11"`, `" -1,5 "`, `48.11` → float; None when empty, not a number,
    NaN or infinite. Thousands separators are not accepted (too ambiguous with commas)."""
    if text is None:
        return None
    if type(text) is str and "_" not in text:
        try:  # the usual "48.11": float() reads what the pattern below accepts, in C
            value = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    if isinstance(text, int | float):
        value = float(text)
    else:
        cleaned = str(text).strip().replace("\u00a0", "")
        if not cleaned or not _NUMBER.match(cleaned):
            return None
        value = float(cleaned.replace(",", "."))
    return value if math.isfinite(value) else None


def looks_like_lambert93(x: float, y: float) -> bool:
    """Metropolitan Lambert-93 metres: x ≈ 100,000–1,250,000, y ≈ 6,000,000–7,200,000."""
    return 50_000 <= x <= 1_300_000 and 6_000_000 <= y <= 7_200_000


def lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    lon, lat = _LAMBERT93.transform(x, y)
    return float(lon), float(lat)


def parse_lat_lon_pair(text: str) -> tuple[float, float] | None:
    """One "lat,lon" (or "lat lon", "lat;lon") column → (lat, lon); None if not two numbers."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) != 2:
        return None
    lat, lon = parse_number(parts[0]), parse_number(parts[1])
    if lat is None or lon is None:
        return None
    return lat, lon
