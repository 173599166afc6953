"""The shape of the synthetic shoppers behind `flask seed-events`: when they come, from where, who they are.

Plain constants (weights and word lists), kept apart from the generator so the numbers that
make the demo look like a real small shop can be read and tuned in one place.
"""

from __future__ import annotations

# Monday first: weekends sell more, Mondays and Tuesdays least.
WEEKDAY_WEIGHTS = (0.9, 0.85, 0.9, 0.95, 1.05, 1.25, 1.2)
# Shop-local hour of day: quiet nights, a lunch bump, the evening on the sofa with a phone.
HOUR_WEIGHTS = (
    0.3, 0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.8, 1.1, 1.2, 1.2, 1.4,
    1.8, 1.6, 1.3, 1.2, 1.3, 1.5, 1.9, 2.4, 2.8, 2.6, 1.8, 0.9,
)  # fmt: skip
GROWTH = 0.5  # the last day brings 50% more visits than the first (a shop that is catching on)

# label -> (share of sessions, how likely to land straight on a product page)
SOURCES = {
    "direct": (0.26, 0.3),
    "social": (0.2, 0.75),
    "ref": (0.16, 0.9),
    "search": (0.14, 0.5),
    "utm": (0.1, 0.6),
    "pwa": (0.1, 0.1),
    "referral": (0.04, 0.6),
}
SOURCE_CONVERSION = {"ref": 1.5, "pwa": 1.8, "utm": 1.1, "social": 0.8, "search": 1.0, "direct": 1.0, "referral": 0.9}
SEARCH_HOSTS = ("google.com", "google.com", "google.com", "bing.com", "duckduckgo.com")
SOCIAL_HOSTS = ("instagram.com", "facebook.com", "t.co", "wa.me", "pinterest.com", "tiktok.com")
REFERRAL_HOSTS = ("pdx-makers-forum.example.org", "portland-gift-guide.example.com", "oregonlive-deals.example.net")
SELLER_CODES = ("ANNA", "LEO22", "MARTA", "KOFI", "JUNE", "SAMI", "OLGA7", "RAFA")
UTM_TAGS = (
    ("newsletter", "email", "spring_glaze_drop"),
    ("newsletter", "email", "new_arrivals"),
    ("instagram", "paid_social", "holiday_mugs"),
    ("flyer", "print", "studio_open_house"),
)
SEARCH_WORDS = ("mug", "speckled mug", "planter", "candle", "vase", "ramen bowl", "tote", "gift", "beanie", "notebook")

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hunter", "Isabel", "Jordan", "Kai", "Layla",
    "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tyler", "Umar", "Valeria", "Wes", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brown", "Chen", "Davis", "Evans", "Flores", "Garcia", "Hughes", "Ito", "Johnson",
    "Khan", "Lopez", "Miller", "Nguyen", "Okafor", "Patel", "Robinson", "Smith", "Thompson", "Williams",
)  # fmt: skip
STREETS = (
    "Main St", "Oak St", "Maple Ave", "Park Ave", "Cedar Ln", "Washington St", "Pine St", "Lake Dr",
    "Broadway", "Hawthorne Ave", "Williams Ave", "Elm St",
)  # fmt: skip

# country -> (share of delivered orders, calling code, [(region, city, weight, area codes, ZIP prefix)]).
# A Portland shop: most orders from Oregon and the West Coast, the rest from big US cities.
GAZETTEER = {
    "US": (
        1.0,
        "1",
        [
            ("OR", "Portland", 14, ("503", "971"), "972"),
            ("OR", "Beaverton", 3, ("503", "971"), "970"),
            ("OR", "Eugene", 2, ("541",), "974"),
            ("OR", "Salem", 2, ("503",), "973"),
            ("WA", "Vancouver", 3, ("360",), "986"),
            ("WA", "Seattle", 5, ("206",), "981"),
            ("CA", "San Francisco", 3, ("415", "628"), "941"),
            ("CA", "Los Angeles", 3, ("213", "323"), "900"),
            ("CA", "Oakland", 1, ("510",), "946"),
            ("NY", "Brooklyn", 2, ("718", "347"), "112"),
            ("NY", "New York", 2, ("212", "646"), "100"),
            ("IL", "Chicago", 2, ("312", "773"), "606"),
            ("TX", "Austin", 2, ("512",), "787"),
            ("CO", "Denver", 2, ("303", "720"), "802"),
            ("MN", "Minneapolis", 1, ("612",), "554"),
            ("MA", "Boston", 1, ("617",), "021"),
            ("ID", "Boise", 1, ("208",), "837"),
        ],
    ),
}
