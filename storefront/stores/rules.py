"""Pure store rules: great-circle distance, nearest stores, place matching, customer keys, revenue shares.

Nearest store. Distances are great-circle (haversine, mean Earth radius). The search first
keeps only stores inside a latitude/longitude box around the shopper (what the database can
filter with plain comparisons), widening the radius until the k-th nearest candidate lies
within it, so nothing outside the box can be nearer. The box is correct at the edges of the
map: across the antimeridian it becomes two boxes (lng 170..180 and -180..-170), and when the
circle reaches a pole it spans every longitude. The acceptance test checks this against a
brute-force search over 1,000 random stores and points, many near the poles and the antimeridian.

Typed places. Without geolocation the shopper types a city or postcode; there is no
geocoding service (the shop runs offline), so the text is matched against the stores' own
postcodes and cities: an exact postcode, else the stores sharing the longest postcode prefix
(at least 2 characters: "75011" finds the Paris "750.." stores, "N1 9GU" finds "N1 .."), else
the stores of that city. The centre of the matching stores is then the shopper's position,
and every store is listed by distance from it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..domain import N_, Invalid
from ..sellers.rules import divide_half_up

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
RADII_KM: tuple[float, ...] = (25.0, 100.0, 400.0, 1600.0, 6400.0)
MIN_PREFIX = 2
MAX_PLACE_CHARS = 100


@dataclass(frozen=True)
class Point:
    """A place on Earth in degrees."""

    lat: float
    lng: float


@dataclass(frozen=True)
class StorePoint:
    """A store's id and position (what the nearest-store search needs)."""

    id: int
    lat: float
    lng: float


@dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle (lng_min <= lng_max; never crosses the antimeridian)."""

    lat_min: float
    lat_max: float
    lng_min: float
    lng_max: float

    def contains(self, lat: float, lng: float) -> bool:
        """True when the point lies inside (edges included)."""
        return self.lat_min <= lat <= self.lat_max and self.lng_min <= lng <= self.lng_max


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.lng - a.lng)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_boxes(centre: Point, radius_km: float) -> list[Box]:
    """Boxes that together hold every point within `radius_km` of `centre` (a little more, never less)."""
    delta = radius_km / EARTH_RADIUS_KM * 1.000001 + 1e-12  # a hair wider: rounding never loses a store
    if delta >= math.pi:
        return [Box(-90.0, 90.0, -180.0, 180.0)]
    lat = math.radians(centre.lat)
    lat_min, lat_max = lat - delta, lat + delta
    if lat_min <= -math.pi / 2 or lat_max >= math.pi / 2:
        # The circle reaches a pole: every longitude is within reach there.
        return [Box(math.degrees(max(lat_min, -math.pi / 2)), math.degrees(min(lat_max, math.pi / 2)), -180.0, 180.0)]
    d_lng = math.degrees(math.asin(min(1.0, math.sin(delta) / math.cos(lat))))
    lat_lo, lat_hi = math.degrees(lat_min), math.degrees(lat_max)
    lng_min, lng_max = centre.lng - d_lng, centre.lng + d_lng
    if lng_min < -180.0:
        return [Box(lat_lo, lat_hi, lng_min + 360.0, 180.0), Box(lat_lo, lat_hi, -180.0, lng_max)]
    if lng_max > 180.0:
        return [Box(lat_lo, lat_hi, lng_min, 180.0), Box(lat_lo, lat_hi, -180.0, lng_max - 360.0)]
    return [Box(lat_lo, lat_hi, lng_min, lng_max)]


def rank(centre: Point, stores: Iterable[StorePoint]) -> list[tuple[float, StorePoint]]:
    """(distance, store) pairs, nearest first; equal distances by store id."""
    return sorted(((haversine_km(centre, Point(s.lat, s.lng)), s) for s in stores), key=lambda p: (p[0], p[1].id))


def nearest(
    centre: Point, k: int, candidates: Callable[[list[Box] | None], Iterable[StorePoint]]
) -> list[tuple[float, StorePoint]]:
    """The k nearest stores with distances. `candidates(boxes)` gives the stores inside the boxes
    (all stores for None): a list filter in tests, a database query in service.nearest_stores."""
    for radius in RADII_KM:
        ranked = rank(centre, candidates(bounding_boxes(centre, radius)))
        if len(ranked) >= k and ranked[k - 1][0] <= radius:
            return ranked[:k]  # anything outside the boxes is farther than `radius`
    return rank(centre, candidates(None))[:k]


def nearest_in(centre: Point, stores: Sequence[StorePoint], k: int = 1) -> list[tuple[float, StorePoint]]:
    """nearest() over an in-memory list of stores (sorted by latitude, like the database's index)."""
    by_lat = sorted(stores, key=lambda s: s.lat)
    lats = [s.lat for s in by_lat]

    def inside(boxes: list[Box] | None) -> list[StorePoint]:
        if boxes is None:
            return list(stores)
        found: dict[int, StorePoint] = {}
        for box in boxes:
            for store in by_lat[bisect_left(lats, box.lat_min) : bisect_right(lats, box.lat_max)]:
                if box.lng_min <= store.lng <= box.lng_max:
                    found[store.id] = store
        return list(found.values())

    return nearest(centre, k, inside)


def centroid(points: Iterable[Point]) -> Point | None:
    """The centre of some places (mean of unit vectors: right across the antimeridian), or None."""
    x = y = z = 0.0
    count = 0
    for p in points:
        lat, lng = math.radians(p.lat), math.radians(p.lng)
        x += math.cos(lat) * math.cos(lng)
        y += math.cos(lat) * math.sin(lng)
        z += math.sin(lat)
        count += 1
    if count == 0:
        return None
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-9:  # places evenly around the globe: no meaningful centre
        return None
    return Point(math.degrees(math.asin(max(-1.0, min(1.0, z / norm)))), math.degrees(math.atan2(y, x)))


# --- input -------------------------------------------------------------------------------------


def parse_coordinates(lat_raw: str | None, lng_raw: str | None) -> Point:
    """A shopper's (or owner's) latitude and longitude, or Invalid with the reason."""
    try:
        lat, lng = float((lat_raw or "").strip()[:30]), float((lng_raw or "").strip()[:30])
    except ValueError as exc:
        raise Invalid(N_("The location must be two numbers: latitude and longitude.")) from exc
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise Invalid(N_("The location must be two numbers: latitude and longitude."))
    if not -90.0 <= lat <= 90.0:
        raise Invalid(N_("Latitude must be between -90 and 90."))
    if not -180.0 <= lng <= 180.0:
        raise Invalid(N_("Longitude must be between -180 and 180."))
    return Point(lat, lng)


def fold(text: str | None) -> str:
    """Text for matching: accents removed, lower case, punctuation as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", (text or "")[:MAX_PLACE_CHARS])
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def postcode_key(text: str | None) -> str:
    """A postcode for comparison: letters and digits only, upper case ("n1 9gu" -> "N19GU")."""
    return re.sub(r"[^0-9A-Za-z]", "", (text or "")[:MAX_PLACE_CHARS]).upper()


@dataclass(frozen=True)
class PlaceRecord:
    """What place matching knows about a store."""

    id: int
    city: str
    postcode: str


def match_place(query: str, stores: Iterable[PlaceRecord]) -> list[int]:
    """Ids of the stores a typed city or postcode refers to (see the module docstring), maybe none."""
    stores = list(stores)
    key, name = postcode_key(query), fold(query)
    if not key and not name:
        return []
    exact = [s.id for s in stores if key and postcode_key(s.postcode) == key]
    if exact:
        return exact
    best, ids = 0, []
    for store in stores:
        common = _common_prefix(key, postcode_key(store.postcode))
        if common >= MIN_PREFIX and any(ch.isdigit() for ch in key) and common > best:
            best, ids = common, [store.id]
        elif common >= MIN_PREFIX and common == best:
            ids.append(store.id)
    if ids:
        return ids
    return [s.id for s in stores if name and fold(s.city) == name]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def customer_key(phone: str | None, email: str | None) -> str | None:
    """Who a customer is across orders: their phone's digits, else their email (lower case), else None."""
    digits = re.sub(r"\D", "", phone or "")
    if 6 <= len(digits) <= 15:
        return f"tel:{digits}"
    address = (email or "").strip().lower()
    return f"email:{address}"[:260] if "@" in address else None


# --- revenue share --------------------------------------------------------------------------


def check_shares(store_bp: int, seller_bp: int) -> None:
    """Each share 0-100 % and together at most 100 %."""
    for value in (store_bp, seller_bp):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
            raise Invalid(N_("Each share must be between 0 and 100 percent."))
    if store_bp + seller_bp > 10_000:
        raise Invalid(N_("The store and seller shares together cannot be more than 100 percent."))


def share_of(turnover: int, basis_points: int) -> int:
    """A share of turnover in minor units, rounded half-up (negative turnover gives a negative share)."""
    sign = -1 if turnover < 0 else 1
    return sign * divide_half_up(abs(turnover) * basis_points, 10_000)
