"""Words for the demo's survey answers that the feedback step does not write: the "other" answers to the
relationship NPS's "What should we fix first?", what is still open after a support ticket, why members
leave Hearth+, and what staff would change at work. Written for this project."""

from __future__ import annotations

import re

# ---- relationship NPS: "What should we fix first?" ---------------------------------------------------------
# A detractor's comment → the option it is about: the first group whose pattern matches the complaint wins
# (a mixed comment's complaint is the part after its "However, …" join). `None` means "other", with one of
# the texts of OTHER_FIX[topic].
FIX_FIRST_WORDS: tuple[tuple[str, str | None, str], ...] = (
    ("quality", None, r"linen edit"),
    ("price", None, r"price|expensive|poor value|worth it|value for money"),
    ("returns", None, r"\breturn|refund"),
    ("support", None, r"support|customer service|chatbot|on hold|call back|automated replies"),
    (None, "checkout", r"checkout|charged twice|\bcard\b|paypal|payment"),
    (None, "app", r"\bapp\b"),
    (None, "website", r"website|search|filters"),
    (None, "stock", r"stock|sold out"),
    (
        "delivery",
        None,
        r"deliver|parcel|courier|tracking|driver|doorstep|dispatch|\bbox\b|packag|wrapped|plastic|cardboard"
        r"|\blate\b|smashed|in pieces|damaged|chipped|swiftparcel",
    ),
    ("quality", None, r"quality|bobbled|seam|colour|\bzip\b|smell|cheap|flimsy|size|sizing|sleeves|photos"),
)
FIX_FIRST_PATTERNS = tuple((option, topic, re.compile(words)) for option, topic, words in FIX_FIRST_WORDS)
TOUCHPOINT_FIX = {"delivery": "delivery", "product": "quality", "returns": "returns", "support": "support"}
TOUCHPOINT_OTHER = {"app": "app", "website": "website", "checkout": "checkout"}
OTHER_FIX = {
    "checkout": ("Checkout and payment", "The checkout"),
    "app": ("The app", "Stop the app crashing"),
    "website": ("The website", "The website's search"),
    "stock": ("Keep sizes in stock", "Stock levels"),
}
# A detractor without a comment: what they pick (weights).
FIX_FIRST_SILENT = (("delivery", 30), ("quality", 25), ("returns", 15), ("support", 12), ("price", 18))

# ---- post-support CES: "What is still open? We will pick it up." ------------------------------------------
WHAT_LEFT = {
    "refund_status": (
        "The refund still hasn't reached my account.",
        "You said the refund was on its way a week ago. Nothing yet.",
    ),
    "late_delivery": ("The parcel still hasn't arrived.", "I still don't know where my order is."),
    "no_tracking": ("The tracking still shows nothing.", "I still don't know where my order is."),
    "damaged_item": ("I'm still waiting for the replacement.", "Nobody has collected the broken item."),
    "product_fault": ("I'm still waiting for the replacement.", "The repair was never booked."),
    "courier_complaint": ("The parcel was never found.", "Nobody checked with the courier."),
    "payment_issue": ("The second payment hasn't been refunded.",),
}
WHAT_LEFT_ANY = (
    "Nobody has told me what happens next.",
    "I was promised a call back that never came.",
    "The ticket was closed but the problem is still there.",
    "I had to explain it all again and it's still not sorted.",
)

# ---- exit survey: why members leave Hearth+ ----------------------------------------------------------------
EXIT_COMMENTS = {
    "delivery": (
        "The whole point of Hearth+ was quick delivery. This summer it was anything but.",
        "Three late parcels in a row and nobody told me why.",
        "I spent more time chasing parcels than shopping. Change courier and I might come back.",
        "Delivery used to be the best thing about you.",
        "Paid for next-day delivery, got next week.",
    ),
    "linen": (
        "The Linen Edit sizing put me off: I sent back more than I kept.",
        "Too many returns lately, nothing fits the way it used to.",
        "I love the designs but I'm tired of guessing my size.",
    ),
    "quality": (
        "Quality has slipped. My last two orders went straight back.",
        "Things don't last like they used to.",
    ),
    "returns": ("Returning things is too much of a hassle.", "I waited weeks for my last refund."),
    "price": (
        "The membership isn't worth it for the few orders I place.",
        "The fee went up and the perks didn't.",
        "Everything has got more expensive this year.",
    ),
    "competitor": (
        "Another shop delivers for free without a membership.",
        "I found much the same things cheaper elsewhere.",
        "A friend got me into another shop with a better loyalty scheme.",
    ),
    "no_need": (
        "Nothing wrong, I'm just buying less at the moment.",
        "I don't order often enough to need it.",
        "Cutting back on subscriptions this year.",
    ),
}
EXIT_OTHER = ("Moving abroad", "Too many marketing emails", "Cutting back on subscriptions")

# ---- eNPS: "If you could change one thing at work, what would it be?" ------------------------------------
ENPS_CHANGES = {
    "warehouse": (
        "A proper break room.",
        "Better heating in the packing area.",
        "Hear about big promotions earlier than the day before.",
        "Scanners that don't need restarting every hour.",
    ),
    "support": (
        "Fewer canned replies, more time per customer.",
        "A second person on the chat queue at weekends.",
        "Hear about promotions before the customers do.",
        "A direct line to the couriers instead of their public helpline.",
    ),
    "shop": (
        "Time to fix old bugs in the app, not only build new things.",
        "Fewer last-minute changes before a release.",
        "More say in what we build next.",
    ),
    "office": (
        "Fewer meetings.",
        "Clearer priorities for the quarter.",
        "More flexible hours.",
        "Better coffee, honestly.",
    ),
}
ENPS_PEAK_CHANGES = {
    "warehouse": (
        "Train the temporary staff before Black Friday, not during it.",
        "Plan the overtime weeks ahead, not the night before.",
        "More people on the packing line in November.",
    ),
    "support": (
        "More people on the queue during peak, the backlog is exhausting.",
        "Let us refund late orders without asking a manager every time.",
    ),
}
