"""Industry starting points for a workspace's theme taxonomy (two levels). A workspace copies one and edits
it; the models assign themes from these names, descriptions and examples without training.

Each entry: (top theme, description, [(sub-theme, description, [examples])]).
"""

from __future__ import annotations

Sub = tuple[str, str, list[str]]
Top = tuple[str, str, list[Sub]]

ONLINE_RETAIL: list[Top] = [
    (
        "Delivery",
        "Getting the order to the customer",
        [
            (
                "Late delivery",
                "The parcel arrived after the promised day or not at all",
                ["my parcel is a week late", "still waiting for my order", "delivery date keeps moving"],
            ),
            (
                "Damaged in transit",
                "The item or box arrived broken, crushed or wet",
                ["the box was crushed", "the vase arrived in pieces"],
            ),
            (
                "Courier",
                "The delivery driver or carrier's service",
                ["the driver left it in the rain", "courier never knocked"],
            ),
            (
                "Tracking",
                "Knowing where the order is",
                ["tracking has not updated for days", "no tracking number"],
            ),
        ],
    ),
    (
        "Product",
        "What was bought",
        [
            (
                "Quality",
                "How well the product is made and lasts",
                ["the fabric pilled after one wash", "lovely quality linen"],
            ),
            (
                "Sizing and fit",
                "Sizes running small or large, fit",
                ["runs a size small", "the trousers were too long"],
            ),
            (
                "Not as described",
                "The product differs from the photos or description",
                ["colour looks nothing like the picture"],
            ),
            (
                "Availability",
                "Out of stock, restocks, missing sizes",
                ["always out of stock in my size", "when will it be back"],
            ),
        ],
    ),
    (
        "Returns and refunds",
        "Sending things back and getting money back",
        [
            (
                "Returns process",
                "Labels, drop-off, how easy returning is",
                ["the returns label would not print", "easy return at the post office"],
            ),
            (
                "Refund time",
                "How long a refund takes",
                ["still no refund after three weeks", "refund came the next day"],
            ),
        ],
    ),
    (
        "Customer support",
        "Help from the support team",
        [
            (
                "Response time",
                "How quickly support answers",
                ["waited five days for an answer", "replied within the hour"],
            ),
            (
                "Resolution",
                "Whether the problem got solved",
                ["they sorted it straight away", "nobody fixed my issue"],
            ),
            (
                "Staff attitude",
                "Friendliness and competence of the agents",
                ["the agent was rude", "so helpful and kind"],
            ),
        ],
    ),
    (
        "Website and app",
        "Shopping online",
        [
            (
                "Checkout and payment",
                "Paying, vouchers, checkout errors",
                ["payment failed at checkout", "discount code did not work"],
            ),
            ("App", "The mobile app's reliability and ease", ["the app keeps crashing", "love the new app"]),
            ("Website", "Navigation, search, pages", ["search never finds what I want", "the site is slow"]),
        ],
    ),
    (
        "Price and value",
        "What it costs for what you get",
        [
            ("Prices", "Price level, price rises", ["too expensive now", "great prices"]),
            ("Delivery costs", "Shipping fees and thresholds", ["delivery charge is too high"]),
            (
                "Promotions",
                "Sales, discounts, loyalty",
                ["the sale was brilliant", "loyalty points disappeared"],
            ),
        ],
    ),
    (
        "Packaging",
        "How orders are packed",
        [
            ("Too much packaging", "Waste, plastic, oversized boxes", ["so much plastic for one shirt"]),
            ("Presentation", "Gift wrap, unboxing", ["beautifully wrapped"]),
        ],
    ),
]

SAAS: list[Top] = [
    (
        "Product",
        "The software itself",
        [
            ("Bugs and errors", "Things that break", ["it crashes when I export", "error 500 on save"]),
            (
                "Performance",
                "Speed and reliability",
                ["the dashboard takes ages to load", "outage this morning"],
            ),
            ("Missing features", "Requests for capabilities", ["please add SSO", "we need an API for this"]),
            ("Usability", "How easy the product is to use", ["confusing settings page", "so intuitive"]),
        ],
    ),
    (
        "Onboarding",
        "Getting started",
        [
            ("Setup", "Installation, configuration, data import", ["import from CSV failed"]),
            ("Documentation", "Guides and docs", ["the docs are out of date"]),
        ],
    ),
    (
        "Billing",
        "Plans and invoices",
        [
            ("Pricing", "Plan prices and limits", ["too expensive for a small team"]),
            ("Invoices and payments", "Charges, invoices, refunds", ["charged twice this month"]),
        ],
    ),
    (
        "Support",
        "Help from the vendor",
        [
            ("Response time", "How quickly support answers", ["no reply for a week"]),
            ("Quality of help", "Whether support solves the problem", ["they fixed it in one call"]),
        ],
    ),
    (
        "Integrations",
        "Connections to other tools",
        [
            ("Missing integration", "Tools it should connect to", ["no Salesforce integration"]),
            ("Broken integration", "Connections that fail", ["Slack sync stopped working"]),
        ],
    ),
]

BANKING: list[Top] = [
    (
        "Accounts",
        "Current and savings accounts",
        [
            ("Opening an account", "Applying and verification", ["ID check took two weeks"]),
            ("Fees and charges", "Account and overdraft fees", ["charged a fee without warning"]),
        ],
    ),
    (
        "Cards",
        "Debit and credit cards",
        [
            ("Card declined", "Payments refused", ["my card was declined abroad"]),
            ("Lost or stolen card", "Blocking and replacing cards", ["how do I freeze my card"]),
        ],
    ),
    (
        "Payments and transfers",
        "Moving money",
        [
            ("Transfer delays", "Payments taking long or pending", ["transfer still pending"]),
            ("Failed payments", "Payments that did not go through", ["direct debit failed"]),
        ],
    ),
    (
        "Digital banking",
        "App and online banking",
        [
            ("App problems", "Crashes, log-in issues", ["can't log in to the app"]),
            ("Security", "Fraud, passwords, two-factor", ["I think my account was hacked"]),
        ],
    ),
    (
        "Service",
        "Branches and support",
        [
            ("Waiting times", "Queues and hold times", ["on hold for an hour"]),
            ("Staff", "Helpfulness of staff", ["the advisor was very helpful"]),
        ],
    ),
]

TELECOM: list[Top] = [
    (
        "Network",
        "Coverage and connection quality",
        [
            ("Coverage", "Signal where the customer is", ["no signal at home"]),
            ("Speed", "Data and broadband speed", ["broadband is slower than promised"]),
            ("Outages", "Service down", ["internet down since yesterday"]),
        ],
    ),
    (
        "Billing",
        "Bills and charges",
        [
            (
                "Unexpected charges",
                "Charges the customer did not expect",
                ["roaming charges I never agreed to"],
            ),
            ("Price rises", "Mid-contract price changes", ["my bill went up again"]),
        ],
    ),
    (
        "Contract",
        "Plans, upgrades, cancelling",
        [
            ("Cancelling", "Leaving or porting out", ["cancelling my contract"]),
            ("Upgrades", "New phones and plan changes", ["upgrade took weeks"]),
        ],
    ),
    (
        "Installation",
        "Engineers and set-up",
        [
            ("Appointments", "Missed or late engineer visits", ["engineer never turned up"]),
            ("Equipment", "Router and devices", ["router keeps restarting"]),
        ],
    ),
    (
        "Support",
        "Customer service",
        [
            ("Waiting times", "Hold times and callbacks", ["45 minutes on hold"]),
            ("Resolution", "Getting problems fixed", ["had to call three times"]),
        ],
    ),
]

HOSPITALITY: list[Top] = [
    (
        "Stay",
        "The room and the property",
        [
            ("Cleanliness", "How clean rooms and spaces are", ["the bathroom was dirty"]),
            ("Comfort", "Beds, noise, temperature", ["the bed was so comfortable", "noisy street"]),
            ("Facilities", "Pool, gym, wifi, parking", ["wifi kept dropping"]),
        ],
    ),
    (
        "Food and drink",
        "Restaurant, bar and breakfast",
        [
            ("Food quality", "Taste and freshness", ["great food", "breakfast was cold"]),
            ("Service speed", "Waiting for food or drinks", ["waited an hour for our mains"]),
        ],
    ),
    (
        "Staff",
        "People who serve the guests",
        [
            ("Friendliness", "Warmth and manners", ["rude staff at reception", "the team was lovely"]),
            ("Competence", "Getting things right", ["they lost our booking"]),
        ],
    ),
    (
        "Booking",
        "Reservations and check-in",
        [
            ("Reservation", "Booking and changes", ["could not change my booking online"]),
            ("Check-in and check-out", "Arrival and departure", ["check-in took forever"]),
        ],
    ),
    (
        "Price and value",
        "What the stay cost",
        [
            ("Value for money", "Worth the price", ["overpriced for what you get"]),
            ("Extra charges", "Fees not expected", ["surprise resort fee"]),
        ],
    ),
]

TEMPLATES: dict[str, tuple[str, list[Top]]] = {
    "online_retail": ("Online retail", ONLINE_RETAIL),
    "saas": ("Software as a service", SAAS),
    "banking": ("Banking", BANKING),
    "telecom": ("Telecom", TELECOM),
    "hospitality": ("Hospitality", HOSPITALITY),
}


def template_specs(template: str) -> list:
    """The template's themes as the theme model reads them (keys are their paths)."""
    from .ml.themes import SEPARATOR, ThemeSpec

    specs = []
    for top, description, subs in TEMPLATES[template][1]:
        specs.append(ThemeSpec(key=top, name=top, description=description))
        specs.extend(
            ThemeSpec(
                key=f"{top}{SEPARATOR}{name}",
                name=name,
                parent=top,
                description=sub_description,
                examples=tuple(examples),
            )
            for name, sub_description, examples in subs
        )
    return specs


def template_theme_model(template: str):
    """A ThemeModel of the template's themes on the default encoder (no database needed)."""
    from .ml.encoder import Encoder
    from .ml.themes import ThemeModel

    return ThemeModel.build(template_specs(template), Encoder.default().encode)
