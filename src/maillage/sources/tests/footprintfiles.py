"""Small Inside Airbnb `listings.csv` files written by the tests, in the real header and the
real shapes of its rows (see the raw folder's PROVENANCE)."""

import csv
from pathlib import Path

HEADER = [
    "id", "name", "host_id", "host_name", "neighbourhood_group", "neighbourhood", "latitude",
    "longitude", "room_type", "price", "minimum_nights", "number_of_reviews", "last_review",
    "reviews_per_month", "calculated_host_listings_count", "availability_365",
    "number_of_reviews_ltm", "license",
]  # fmt: skip

# Points well inside their commune or arrondissement (checked by the tests themselves).
LYON_4E = (45.7790, 4.8270)  # plateau de la Croix-Rousse
LYON_3E = (45.7590, 4.8600)  # Part-Dieu / Monchat
LYON_8E = (45.7350, 4.8700)
BORDEAUX = (44.8400, -0.5750)
MERIGNAC = (44.8390, -0.6440)
AT_SEA = (45.0000, -3.0000)  # Bay of Biscay


def listing(
    listing_id: int,
    point: tuple[float, float],
    *,
    room_type: str = "Entire home/apt",
    availability: str = "200",
    license: str = "",
    host_listings: str = "1",
    host_name: str = "Isabelle",
    last_review: str = "2024-03-01",
    name: str = "Duplex avec vue, centre ville",
    neighbourhood: str = "",
) -> dict[str, str]:
    lat, lon = point
    return {
        "id": str(listing_id),
        "name": name,
        "host_id": str(1000 + listing_id),
        "host_name": host_name,
        "neighbourhood_group": "",
        "neighbourhood": neighbourhood,
        "latitude": str(lat),
        "longitude": str(lon),
        "room_type": room_type,
        "price": "",
        "minimum_nights": "2",
        "number_of_reviews": "12",
        "last_review": last_review,
        "reviews_per_month": "0.4",
        "calculated_host_listings_count": host_listings,
        "availability_365": availability,
        "number_of_reviews_ltm": "3",
        "license": license,
    }


def write_listings(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path
