"""Hearth & Thread's shop data: the calendar, the catalogue, the people, and the stories hidden in the demo.

Every date is anchored to the seed's "today": `ctx.now` truncated to midnight UTC. Seeding on another day
shifts the whole calendar with it. "Month −k" below is the calendar month k months before the month of today
(month −0 is the current, partial month). Seeded on 2026-11-26, the data covers 2025-11-26 … 2026-11-25 and:

    month −4 = July 2026, month −3 = August 2026, month −2 = September 2026, month −1 = October 2026.

The volumes at scale 1.0 (`DemoContext.scale` multiplies them): ~2,000 customers, ~50,000 events over the
past 12 months, ~10,000 feedback items over the past 12 months (the surveys step then answers the survey items
through five live surveys and adds ~850 responses of its own: cxloop/demo/survey_responses.py). Seasonality:
more orders, deliveries and feedback in November–December (peak season, with a Black Friday spike) and a wave
of returns and refund complaints in January.

The stories a user can discover (tests in cxloop/demo/tests/test_demo_data.py hold them to these facts):

(a) Late-delivery incident, month −4 (July 2026), region "North West" (country GB). SwiftParcel's North West
    depot failed: ~85% of the North West's deliveries promised in month −4 arrive 3–9 days late
    (`order_delivered` events, all within month −4, with properties carrier="SwiftParcel", days_late 3–9,
    promised_date, delivered_date). Customers there open "where is my order" tickets, Hearth+ members among
    them cancel more (`subscription_cancelled`, reason "Delivery problems"), and their feedback in month −4
    turns: most Relationship NPS answers from the North West that month are detractors (≥ 60%, against 20–30%
    in other regions and other months) and Post-delivery CSAT of the late parcels is 1–3, with texts about
    late parcels, SwiftParcel and tracking that never updated.

(b) Rising theme: "Linen Edit runs small". The Linen Edit clothing line launches on the first day of month
    −4. Complaints that its sizing runs small (every such text contains "Linen Edit" and "small") grow month
    over month: about 14, 30, 52 and 84 items in months −4, −3, −2, −1 (Trustpilot, NPS comments, live chat,
    social), and the partial current month continues at the month −1 rate. Returns of Linen Edit items with
    reason "Too small" grow with them (~13 in month −4, ~50 in month −1). No text mentions the Linen Edit
    before its launch.

(c) Detractors recovered by follow-up: ~150 customers who answered the Relationship NPS as detractors (0–6,
    with a comment) answer a follow-up Relationship NPS 30–90 days later as passives or promoters (7–10),
    saying the support team fixed it. Each follow-up item has metadata {"follow_up_of": <external_id of the
    earlier item>}, and the same customer; ~40 of them recover North West customers hit by the incident.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

# ---- the stories' fixed facts ------------------------------------------------------------------------------
INCIDENT_MONTHS_BACK = 4
INCIDENT_REGION = "North West"
INCIDENT_CARRIER = "SwiftParcel"
LINEN_LAUNCH_MONTHS_BACK = 4
LINEN_COMPLAINTS_PER_MONTH = {4: 14, 3: 30, 2: 52, 1: 84}  # months back → items at scale 1.0
FOLLOW_UPS = 150
MEMBER_PLAN = "Hearth+ member"
FREE_PLAN = "Free"

# ---- calendar ----------------------------------------------------------------------------------------------
MONTH_WEIGHT = {11: 1.45, 12: 1.7, 1: 1.35}  # peak season, then January returns
WEEKDAY_WEIGHT = (1.0, 0.95, 0.95, 1.0, 1.05, 0.9, 1.1)  # Monday … Sunday


@dataclass
class Calendar:
    """The seed's 365 days: day 0 is a year before today, day 364 is yesterday (nothing happens today)."""

    today: datetime

    @classmethod
    def from_now(cls, now: datetime) -> Calendar:
        now = now.astimezone(UTC)
        return cls(today=now.replace(hour=0, minute=0, second=0, microsecond=0))

    def __post_init__(self) -> None:
        self.start = self.today - timedelta(days=365)
        weights = []
        for i in range(365):
            day = self.start + timedelta(days=i)
            w = MONTH_WEIGHT.get(day.month, 1.0) * WEEKDAY_WEIGHT[day.weekday()]
            if day.month == 11 and day.weekday() == 4 and 23 <= day.day <= 29:
                w *= 3.0  # Black Friday
            elif day.month in (11, 12) and day.weekday() == 0 and (day - timedelta(days=3)).month == 11:
                w *= 1.8 if 26 <= (day - timedelta(days=3)).day <= 29 else 1.0  # Cyber Monday
            weights.append(w)
        self.cum = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)

    def day(self, index: int) -> datetime:
        return self.start + timedelta(days=index)

    def index(self, moment: datetime) -> int:
        return (moment - self.start).days

    def pick_day(self, rng: Random, lo: int = 0, hi: int = 365) -> int:
        """A day index in [lo, hi), weighted by season (one draw of the generator)."""
        lo, hi = max(lo, 0), min(hi, 365)
        base = self.cum[lo - 1] if lo > 0 else 0.0
        u = base + rng.random() * (self.cum[hi - 1] - base)
        return min(bisect.bisect_left(self.cum, u, lo, hi), hi - 1)

    def moment(self, rng: Random, index: int, first_hour: int = 7, last_hour: int = 23) -> datetime:
        return self.day(index) + timedelta(seconds=rng.randint(first_hour * 3600, last_hour * 3600 - 1))

    def month_start(self, back: int) -> datetime:
        year, month = self.today.year, self.today.month - back
        while month <= 0:
            month += 12
            year -= 1
        return datetime(year, month, 1, tzinfo=UTC)

    def month_bounds(self, back: int) -> tuple[datetime, datetime]:
        start = self.month_start(back)
        days = _calendar.monthrange(start.year, start.month)[1]
        return start, start + timedelta(days=days)

    def months_back(self, moment: datetime) -> int:
        return (self.today.year - moment.year) * 12 + self.today.month - moment.month

    def is_peak(self, moment: datetime) -> bool:
        return moment.month in (11, 12)


def poisson(rng: Random, lam: float) -> int:
    """A Poisson draw for small means (Knuth), from the step's own generator."""
    if lam <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def ascii_fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("Ø", "O").replace("ø", "o")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# ---- people ------------------------------------------------------------------------------------------------
COUNTRIES = (("GB", 75), ("IE", 8), ("FR", 7), ("DE", 6), ("NL", 4))
REGIONS = {
    "GB": (
        ("London", 21),
        ("South East", 17),
        ("North West", 15),
        ("Midlands", 14),
        ("Scotland", 10),
        ("Yorkshire", 8),
        ("Wales", 7),
        ("South West", 6),
        ("North East", 2),
    ),
    "IE": (("Dublin", 55), ("Cork", 20), ("Galway", 12), ("Limerick", 13)),
    "FR": (
        ("Île-de-France", 45),
        ("Auvergne-Rhône-Alpes", 20),
        ("Provence-Alpes-Côte d'Azur", 20),
        ("Bretagne", 15),
    ),
    "DE": (("Berlin", 25), ("Bayern", 30), ("Nordrhein-Westfalen", 30), ("Hamburg", 15)),
    "NL": (("Noord-Holland", 45), ("Zuid-Holland", 35), ("Utrecht", 20)),
}


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


FIRST_NAMES = {
    "GB": _names(
        "Olivia, Amelia, Isla, Ava, Mia, Grace, Sophie, Emily, Chloe, Ruby, Lucy, Hannah, Ellie, Freya, "
        "Zara, Aisha, Priya, Megan, Charlotte, Harriet, Rosie, Bethan, Niamh, Eilidh, Jasmine, Holly, "
        "Alice, Evie, Poppy, Georgia, Jack, Oliver, Harry, George, Noah, Leo, Arthur, Oscar, James, Thomas,"
        " William, Callum, Rhys, Dylan, Ethan, Samuel, Joseph, Daniel, Ravi, Imran, Kwame, Hamza, Finlay, "
        "Lewis, Owen, Alfie, Max, Ben, Tom"
    ),
    "IE": _names(
        "Aoife, Ciara, Saoirse, Siobhan, Orla, Niamh, Roisin, Clodagh, Sean, Cian, Conor, Oisin, Darragh, "
        "Eoin, Padraig"
    ),
    "FR": _names(
        "Camille, Léa, Manon, Chloé, Inès, Juliette, Sophie, Élodie, Hugo, Lucas, Louis, Théo, Mathieu, "
        "Julien, Antoine"
    ),
    "DE": _names(
        "Anna, Lena, Marie, Lea, Sophie, Katrin, Jana, Laura, Lukas, Jonas, Felix, Maximilian, Tobias, Jan,"
        " Niklas"
    ),
    "NL": _names("Sanne, Lotte, Fleur, Anouk, Eva, Femke, Daan, Bram, Sem, Lars, Joost, Ruben"),
}
LAST_NAMES = {
    "GB": _names(
        "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, Thompson, Evans,"
        " Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke, Patel, Khan, Hughes, Edwards, Morgan,"
        " Campbell, Stewart, MacDonald, Murray, Reid, Owen, Price, Lloyd, Shaw, Ahmed, Begum, Chowdhury, "
        "Okafor, Mensah, Hussain, Turner, Cooper, Hill, Ward, Morris, Bell, Harrison, Kelly, Fraser, "
        "Bennett, Parker, Cook, Fletcher, Barker, Holmes, Moss, Chapman"
    ),
    "IE": _names(
        "Murphy, Kelly, Byrne, Ryan, O'Brien, Walsh, O'Sullivan, McCarthy, Doyle, Gallagher, Kennedy, "
        "Lynch, Quinn"
    ),
    "FR": _names(
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Lefèvre, Girard, "
        "Fontaine"
    ),
    "DE": _names(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Koch, "
        "Richter, Wolf"
    ),
    "NL": _names(
        "de Jong, Jansen, de Vries, van den Berg, Bakker, Visser, Smit, Meijer, de Boer, Mulder, Bos, Vos"
    ),
}
EMAIL_DOMAINS = ("mail.example", "post.example", "inbox.example", "webmail.example", "letterbox.example")
# Phone numbers: GB's are in Ofcom's range for drama (07700 900000–900999); the others are made up.
PHONE_PREFIX = {
    "GB": "+44 7700 900",
    "IE": "+353 85 10",
    "FR": "+33 6 12 0",
    "DE": "+49 151 20",
    "NL": "+31 6 400",
}
AGENTS = ("Sam", "Aisha", "Joe", "Megan", "Callum", "Niamh", "Luis", "Priya")

# ---- catalogue ---------------------------------------------------------------------------------------------
GARMENTS = (
    "merino jumper",
    "wool coat",
    "denim jacket",
    "knitted cardigan",
    "midi dress",
    "cord skirt",
    "trench coat",
    "striped T-shirt",
    "quilted gilet",
    "rain mac",
    "pyjama set",
    "cashmere scarf",
)
HOMEWARE = (
    "cotton bedding set",
    "throw blanket",
    "bath towel set",
    "duvet",
    "scented candle",
    "cushion cover set",
    "linen tablecloth",
    "wool rug",
    "velvet armchair",
)
FRAGILE = (
    "stoneware mug set",
    "ceramic vase",
    "table lamp",
    "glass carafe",
    "dinner plate set",
    "wall mirror",
)
LINEN_ITEMS = ("shirt", "shirt dress", "blazer", "jumpsuit", "midi skirt", "wrap top")
CARRIERS_GB = (("Kestrel Couriers", 50), ("Parcelwise", 35), ("SwiftParcel", 15))
CARRIERS_NORTH = (("SwiftParcel", 70), ("Kestrel Couriers", 20), ("Parcelwise", 10))  # NW and Scotland
CARRIERS_EU = (("EuroDrop", 70), ("Bluebird Express", 30))
PROMO_CODES = ("HEARTH10", "WELCOME15", "FREESHIP", "THREAD20")


def weighted(rng: Random, pairs) -> str:
    """Pick the first element of one (value, weight) pair."""
    values = [v for v, _ in pairs]
    return rng.choices(values, weights=[w for _, w in pairs])[0]


def app_version(cal: Calendar, moment: datetime) -> str:
    """The app release current at a moment: a minor release every ~6 weeks, 5.0 a year ago."""
    weeks = max(0, (moment - cal.start).days) // 7
    return f"5.{weeks // 6}.{weeks % 6 // 2}"
