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
REFERRAL_HOSTS = ("citymums-forum.example.org", "bestbuys-blog.example.com", "localnews.example.net")
SELLER_CODES = ("ANNA", "LEO22", "MARTA", "KOFI", "JUNE", "SAMI", "OLGA7", "RAFA")
UTM_TAGS = (
    ("newsletter", "email", "spring_sale"),
    ("newsletter", "email", "new_arrivals"),
    ("instagram", "paid_social", "autumn_coats"),
    ("flyer", "print", "shop_opening"),
)
SEARCH_WORDS = ("wool coat", "linen", "gift", "mug", "boots", "candle", "jumper", "sale", "vase", "knife")

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kai", "Lena",
    "Maya", "Nico", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
    "Khan", "Lopez", "Moreau", "Nowak", "Okafor", "Patel", "Rossi", "Smith", "Tanaka", "Weber",
)  # fmt: skip
STREETS = ("High Street", "Station Road", "Church Lane", "Main Street", "Park Avenue", "Mill Road", "Oak Drive")

# country -> (share of delivered orders, calling code, [(region, city, weight)])
GAZETTEER = {
    "US": (
        0.62,
        "1",
        [
            ("NY", "New York", 5),
            ("NY", "Brooklyn", 3),
            ("CA", "Los Angeles", 4),
            ("CA", "San Francisco", 3),
            ("IL", "Chicago", 3),
            ("TX", "Austin", 2),
            ("WA", "Seattle", 2),
            ("MA", "Boston", 2),
            ("OR", "Portland", 1),
        ],
    ),
    "CA": (0.1, "1", [("ON", "Toronto", 4), ("BC", "Vancouver", 3), ("QC", "Montréal", 2)]),
    "GB": (0.12, "44", [("England", "London", 5), ("England", "Manchester", 2), ("Scotland", "Edinburgh", 1)]),
    "DE": (0.08, "49", [("Berlin", "Berlin", 3), ("Bayern", "München", 2), ("Hamburg", "Hamburg", 1)]),
    "FR": (0.05, "33", [("Île-de-France", "Paris", 4), ("Auvergne-Rhône-Alpes", "Lyon", 1)]),
    "AU": (0.03, "61", [("NSW", "Sydney", 2), ("VIC", "Melbourne", 2)]),
}
