"""Acceptance 5 (pure): haversine, nearest store vs brute force (poles, antimeridian), place matching."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.domain import Invalid
from storefront.stores import rules
from storefront.stores.rules import PlaceRecord, Point, StorePoint

EPS_KM = 1e-6


def _random_point(rng: random.Random) -> Point:
    """Uniform on the sphere, or (often) crowded near a pole or the antimeridian."""
    kind = rng.random()
    if kind < 0.25:  # near a pole
        lat = rng.choice((-1, 1)) * rng.uniform(85.0, 90.0)
        return Point(lat, rng.uniform(-180.0, 180.0))
    if kind < 0.5:  # near the antimeridian
        return Point(math.degrees(math.asin(rng.uniform(-1, 1))), rng.choice((-1, 1)) * rng.uniform(175.0, 180.0))
    return Point(math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180.0, 180.0))


def _vector(p: Point) -> tuple[float, float, float]:
    lat, lng = math.radians(p.lat), math.radians(p.lng)
    return (math.cos(lat) * math.cos(lng), math.cos(lat) * math.sin(lng), math.sin(lat))


def _brute_force(centre: Point, stores: list[StorePoint], vectors: list[tuple[float, float, float]]) -> float:
    """The distance to the nearest store by checking every store, independently of the search:
    the largest dot product of unit vectors is the smallest great-circle distance."""
    cx, cy, cz = _vector(centre)
    best = max(range(len(stores)), key=lambda i: cx * vectors[i][0] + cy * vectors[i][1] + cz * vectors[i][2])
    return rules.haversine_km(centre, Point(stores[best].lat, stores[best].lng))


def test_haversine_known_distances():
    london, paris = Point(51.5074, -0.1278), Point(48.8566, 2.3522)
    assert rules.haversine_km(london, paris) == pytest.approx(343.5, abs=1.0)
    assert rules.haversine_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, abs=0.2), (
        "across the antimeridian"
    )
    assert rules.haversine_km(Point(90, 0), Point(90, 123)) == pytest.approx(0.0, abs=1e-6), (
        "every longitude is the pole"
    )
    assert rules.haversine_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * rules.EARTH_RADIUS_KM)
    assert rules.haversine_km(Point(89.9, 0), Point(89.9, 180)) == pytest.approx(22.24, abs=0.05), "over the pole"


def test_nearest_equals_brute_force_over_1000_random_stores_and_points():
    rng = random.Random(20260301)
    stores = [StorePoint(i, p.lat, p.lng) for i, p in enumerate(_random_point(rng) for _ in range(1000))]
    vectors = [_vector(Point(s.lat, s.lng)) for s in stores]
    for _ in range(1000):
        centre = _random_point(rng)
        ((distance, store),) = rules.nearest_in(centre, stores, k=1)
        # equal up to rounding: two stores at the same distance are both right
        assert distance == pytest.approx(_brute_force(centre, stores, vectors), abs=EPS_KM), (centre, store)
        assert distance == pytest.approx(rules.haversine_km(centre, Point(store.lat, store.lng)))


def test_the_k_nearest_equal_brute_force_with_few_stores_far_away():
    rng = random.Random(7)
    sparse = [StorePoint(i, p.lat, p.lng) for i, p in enumerate(_random_point(rng) for _ in range(12))]
    for _ in range(300):
        centre = _random_point(rng)
        got = [round(d, 6) for d, _ in rules.nearest_in(centre, sparse, k=5)]
        expected = sorted(round(rules.haversine_km(centre, Point(s.lat, s.lng)), 6) for s in sparse)[:5]
        assert got == expected
    assert rules.nearest_in(Point(0, 0), [], k=3) == []
    assert len(rules.nearest_in(Point(0, 0), sparse, k=50)) == 12


@given(
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.sampled_from(rules.RADII_KM),
)
def test_boxes_hold_every_point_within_the_radius(lat, lng, lat2, lng2, radius):
    centre, other = Point(lat, lng), Point(lat2, lng2)
    if rules.haversine_km(centre, other) <= radius:
        assert any(b.contains(other.lat, other.lng) for b in rules.bounding_boxes(centre, radius))


def test_boxes_split_at_the_antimeridian_and_open_at_the_poles():
    split = rules.bounding_boxes(Point(10, 179.9), 100)
    assert len(split) == 2 and split[0].lng_max == 180.0 and split[1].lng_min == -180.0
    polar = rules.bounding_boxes(Point(89.5, 20), 100)
    assert len(polar) == 1 and (polar[0].lng_min, polar[0].lng_max, polar[0].lat_max) == (-180.0, 180.0, 90.0)
    assert rules.bounding_boxes(Point(0, 0), 30000) == [rules.Box(-90.0, 90.0, -180.0, 180.0)]


def test_centroid_handles_the_antimeridian():
    centre = rules.centroid([Point(0, 179), Point(0, -179)])
    assert centre.lat == pytest.approx(0, abs=1e-9) and abs(centre.lng) == pytest.approx(180, abs=1e-9)
    assert rules.centroid([]) is None
    assert rules.centroid([Point(0, 0), Point(0, 180)]) is None, "opposite sides: no centre"
    paris = rules.centroid([Point(48.85, 2.35), Point(48.87, 2.33)])
    assert paris.lat == pytest.approx(48.86, abs=0.01) and paris.lng == pytest.approx(2.34, abs=0.01)


def test_coordinates_are_validated():
    assert rules.parse_coordinates(" 51.5 ", "-0.12") == Point(51.5, -0.12)
    for lat, lng in (("", ""), ("abc", "1"), ("91", "0"), ("0", "180.5"), ("nan", "0"), ("inf", "0"), (None, "1")):
        with pytest.raises(Invalid):
            rules.parse_coordinates(lat, lng)


STORES = [
    PlaceRecord(1, "Paris", "75011"),
    PlaceRecord(2, "Paris", "75003"),
    PlaceRecord(3, "Lyon", "69002"),
    PlaceRecord(4, "London", "N1 7AB"),
    PlaceRecord(5, "São Paulo", "01310-100"),
]


def test_typed_places_match_postcodes_then_cities():
    assert rules.match_place("75011", STORES) == [1]
    assert rules.match_place("75 020", STORES) == [1, 2], "the longest shared postcode prefix"
    assert rules.match_place("n1 9gu", STORES) == [4]
    assert rules.match_place("  LYON ", STORES) == [3]
    assert rules.match_place("sao paulo", STORES) == [5], "accents do not matter"
    assert rules.match_place("Atlantis", STORES) == []
    assert rules.match_place("", STORES) == [] and rules.match_place("!!!", STORES) == []


def test_customer_keys():
    assert rules.customer_key("+44 20 7946 0958", "A@B.com") == "tel:442079460958"
    assert rules.customer_key("", " A@B.com ") == "email:a@b.com"
    assert rules.customer_key("12", "") is None


def test_shares():
    rules.check_shares(1000, 500)
    for store, seller in ((-1, 0), (10001, 0), (6000, 5000), (1.5, 0)):
        with pytest.raises(Invalid):
            rules.check_shares(store, seller)
    assert rules.share_of(12345, 1000) == 1235 and rules.share_of(0, 5000) == 0 and rules.share_of(-100, 1550) == -16
