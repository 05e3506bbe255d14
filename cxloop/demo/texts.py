"""Phrase banks for the demo's feedback texts, written for this project, and the writer that composes them.

A text is built from sentences of one theme (and sometimes a second), in a tone that matches the score it goes
with: praise for promoters and 5-star ratings, complaints for detractors, mixed for the middle. Slots such as
{product} or {carrier} are filled from the catalogue in cxloop/demo/retail.py with the step's own generator.
"""

from __future__ import annotations

from random import Random

from . import retail as R

# Theme → the journey stage it belongs to (the item's touchpoint).
TOUCHPOINT = {
    "delivery_speed": "delivery",
    "delivery_damage": "delivery",
    "courier": "delivery",
    "packaging": "delivery",
    "product_quality": "product",
    "sizing_fit": "product",
    "price_value": "product",
    "stock": "product",
    "returns_refunds": "returns",
    "support": "support",
    "usability_web": "website",
    "usability_app": "app",
    "checkout_payment": "checkout",
}
THEMES = tuple(TOUCHPOINT)

PRAISE = {
    "delivery_speed": (
        "Ordered on Sunday evening and it was on my doorstep by Tuesday morning.",
        "Super fast delivery – the {product} arrived the day after I ordered.",
        "Next-day delivery actually meant next day, which is rare these days.",
        "Arrived a day earlier than the estimate and the tracking was spot on.",
        "Really quick dispatch, I had the shipping email within a couple of hours.",
        "The delivery slot was accurate to within half an hour, so I didn't have to wait in all day.",
        "Fast, painless delivery as always.",
    ),
    "delivery_damage": (
        "Everything arrived in perfect condition, even the {fragile}.",
        "Everything was wrapped so carefully that even the {fragile} survived without a mark.",
        "Not a scratch on the {fragile}, which is impressive given how far it travelled.",
    ),
    "courier": (
        "The driver was lovely and even rang ahead to check I was in.",
        "The courier left the parcel exactly where I asked, with a photo to prove it.",
        "{carrier} were brilliant: polite driver and a clear one-hour delivery window.",
        "The delivery driver carried the heavy box upstairs for me, above and beyond.",
    ),
    "packaging": (
        "Love that the packaging is plastic-free and fully recyclable.",
        "Beautiful packaging, it felt like opening a present.",
        "Really pleased the parcel came wrapped in recycled paper rather than plastic.",
        "Minimal, sturdy packaging and no pointless plastic. Good to see.",
    ),
    "product_quality": (
        "The {product} is beautifully made and feels far more expensive than it was.",
        "Lovely quality – the {product} has washed really well and still looks new.",
        "Gorgeous {product}: soft, well finished and exactly like the photos.",
        "Really impressed with the quality of the {homeware}, it's a lovely heavy weight.",
        "The stitching and fabric on the {garment} are excellent.",
        "Bought the {product} as a gift and it looked even nicer in person.",
    ),
    "sizing_fit": (
        "Sizing was spot on, I went with my usual {size} and the {garment} fits perfectly.",
        "The size guide was really accurate for once.",
        "The {garment} fits true to size and the length is perfect.",
    ),
    "price_value": (
        "Great value for money, especially in the sale.",
        "Good quality for the price – the {product} would cost twice as much elsewhere.",
        "The Hearth+ membership has paid for itself with the free delivery alone.",
        "Fair prices and the quality holds up.",
    ),
    "stock": (
        "The {product} I'd been waiting for came back in stock and the alert email arrived straight away.",
        "Great range, and my size was actually in stock for once.",
    ),
    "returns_refunds": (
        "Returning the {garment} was easy – printed the label, dropped it off, refunded in three days.",
        "Free returns and a quick refund, no complaints at all.",
        "The refund landed in my account before I'd even expected it.",
        "The returns process in the app is really simple.",
    ),
    "support": (
        "{agent} in customer service sorted everything out in one call.",
        "Really helpful support team, they replied within an hour and fixed it straight away.",
        "The live chat agent was friendly and didn't make me jump through hoops.",
        "Customer service went out of their way to get a replacement to me in time.",
        "Great customer service – {agent} kept me updated until it was resolved.",
    ),
    "usability_web": (
        "The website is easy to navigate and the filters actually work.",
        "Finding things on the site is simple, and the product photos are great.",
        "The website remembers my size, which makes browsing so much quicker.",
    ),
    "usability_app": (
        "The app is really easy to use and the wishlist is handy.",
        "Love the app – quick to browse and the saved sizes feature is great.",
        "Tracking my order in the app is simple and the notifications are useful.",
    ),
    "checkout_payment": (
        "Checkout was quick and paying with Apple Pay took seconds.",
        "Smooth checkout, and the discount code worked first time.",
        "Paying was really easy, and I liked being able to split it into instalments.",
    ),
}

COMPLAINT = {
    "delivery_speed": (
        "My order took {days} days longer than the date I was given at checkout.",
        "I paid for next-day delivery and waited nearly a week.",
        "The parcel was stuck on 'dispatched' for days with no explanation.",
        "The delivery estimates on the site are pure fiction – mine arrived {days} days late.",
        "It was meant to be a birthday present and it turned up after the birthday.",
        "Still waiting for my {product}, it's now {days} days past the promised date.",
        "Tracking said 'out for delivery' three days running and nothing came.",
        "Slow delivery again. I ordered the {product} over a week ago.",
    ),
    "delivery_damage": (
        "The {fragile} arrived smashed – the box had clearly been dropped.",
        "The {fragile} was in pieces when I opened the parcel.",
        "The box was crushed and soaking wet when it arrived.",
        "My {fragile} came chipped, and I had to send photos before anyone would help.",
        "The parcel looked like it had been kicked down the street and the {product} inside was damaged.",
        "Received a damaged item for the second time in a row.",
    ),
    "courier": (
        "The courier marked it as delivered but nothing was left at my door.",
        "The driver left my parcel on the doorstep in the pouring rain without knocking.",
        "{carrier} claimed nobody was home – I was sitting by the front door all day.",
        "My parcel was left with a neighbour I've never met, and no card came through the door.",
        "The courier threw the box over the gate. Not acceptable.",
        "The delivery photo shows someone else's front door.",
    ),
    "packaging": (
        "A huge box for one small {product} – so much wasted cardboard.",
        "Every item came individually wrapped in plastic, which hardly fits the sustainability claims.",
        "The packaging was so flimsy the {product} was poking out of it.",
        "Three separate parcels for one order, which is terrible for the environment.",
    ),
    "product_quality": (
        "The {garment} bobbled after the first wash.",
        "The {product} looks nothing like the photos – the colour is completely different.",
        "Poor quality: the seam on the {garment} came apart after wearing it twice.",
        "The {homeware} feels cheap and flimsy for the price.",
        "The colour ran in the wash and ruined a load of whites.",
        "The {product} had a strong chemical smell that still hasn't gone.",
        "The zip on the {garment} broke within a week.",
    ),
    "sizing_fit": (
        "The sizing is all over the place – the {garment} in my usual {size} was far too big.",
        "Had to return the {garment} twice to get the right size.",
        "The size guide says one thing and the label on the {garment} says another.",
        "The sleeves on the {garment} are ridiculously long.",
        "Inconsistent sizing between items that are supposedly the same size.",
    ),
    "price_value": (
        "Prices have crept up a lot this year.",
        "Far too expensive for what you get.",
        "The {product} dropped in price the week after I bought it and they wouldn't refund the difference.",
        "Delivery charges make small orders poor value.",
        "Hearth+ used to be worth it but the benefits keep shrinking.",
    ),
    "stock": (
        "Everything I want is out of stock in my size.",
        "The site let me order the {product}, then a week later told me it was out of stock.",
        "The back-in-stock alerts never arrive.",
        "Items in my basket keep disappearing because they've sold out.",
    ),
    "returns_refunds": (
        "I returned the {product} {weeks} weeks ago and I'm still waiting for my refund.",
        "The returns portal kept giving me an error, so I couldn't print a label.",
        "They charged me for return postage even though the item was faulty.",
        "My refund was for less than I paid and nobody can explain why.",
        "The drop-off point listed for returns closed months ago.",
        "I've been chasing a refund of {amount} for weeks.",
        "The tracking shows my return was received, but there's no refund and no email.",
    ),
    "support": (
        "I've emailed customer service three times and had nothing but automated replies.",
        "The chatbot goes round in circles and there's no way to reach a human.",
        "I waited 50 minutes on hold and then got cut off.",
        "Support closed my ticket without fixing anything.",
        "Every time I contact support I have to explain the whole problem again from scratch.",
        "The agent promised a call back that never happened.",
    ),
    "usability_web": (
        "The website search is useless – typing 'duvet' shows me socks.",
        "The filters reset every time I go back to the results page.",
        "I couldn't find my order history anywhere on the website.",
        "The website is so slow on my phone that I gave up.",
    ),
    "usability_app": (
        "The app keeps crashing when I open my basket.",
        "Since the last update the app logs me out every time I open it.",
        "The app is painfully slow to load product pages.",
        "Notifications from the app are constant and I can't find how to turn them off.",
    ),
    "checkout_payment": (
        "My card was charged twice for the same order.",
        "The payment page kept timing out, so I gave up and ordered elsewhere.",
        "The discount code {code} wouldn't apply at checkout.",
        "Checkout forced me to create an account just to buy one thing.",
        "PayPal kept failing at the last step of checkout.",
        "The delivery costs only appeared at the very last step of checkout.",
    ),
}

# A question rather than a verdict (tickets, chats, social): neutral tone.
QUESTION = {
    "delivery_speed": ("Could you tell me when my order will arrive?", "Do you deliver on Saturdays?"),
    "courier": ("Can I ask the courier to leave my parcel with a neighbour?",),
    "sizing_fit": (
        "Is the {garment} true to size, or should I size up?",
        "Can I exchange the {garment} for a {size}?",
    ),
    "returns_refunds": ("Can I return an item I bought in the sale?", "How long do refunds usually take?"),
    "stock": ("When will the {product} be back in stock?", "Will you restock the {garment} in a {size}?"),
    "checkout_payment": (
        "Can I pay with a gift card and a bank card together?",
        "Is there a code for first orders?",
    ),
    "usability_web": ("How do I change the email address on my account?", "Where can I find my invoices?"),
    "usability_app": ("Is there a way to save my sizes in the app?",),
    "product_quality": ("Can the {homeware} go in the washing machine?", "Is the {garment} lined?"),
    "price_value": ("Will the {product} be in the sale?", "Does Hearth+ include free returns?"),
    "support": ("What are your customer service opening hours?",),
    "packaging": ("Can I ask for an order to be sent without gift packaging?",),
    "delivery_damage": ("What should I do if an item arrives damaged?",),
}

OPEN_PRAISE = (
    "Really happy overall.",
    "Always a pleasure to shop here.",
    "Brilliant experience.",
    "Second order this month and just as happy.",
    "Lovely shop.",
)
CLOSE_PRAISE = (
    "Will definitely order again.",
    "Would recommend to friends and family.",
    "Keep it up!",
    "Thank you, Hearth & Thread!",
    "10/10.",
)
OPEN_COMPLAINT = (
    "Very disappointed.",
    "Not impressed this time.",
    "Honestly, really frustrating.",
    "I used to love shopping here.",
    "Where do I start?",
)
CLOSE_COMPLAINT = (
    "I won't be ordering again.",
    "Please sort this out.",
    "Really not good enough.",
    "I'll be shopping elsewhere from now on.",
    "Very poor.",
)
CLOSE_MILD = (
    "Not the end of the world, but I expected better.",
    "Hopefully just a one-off.",
    "Could do better.",
    "A bit of a let-down.",
)
MIXED_JOIN = ("However, ", "That said, ", "Only gripe: ", "On the other hand, ")

# ---- the stories -------------------------------------------------------------------------------------------
INCIDENT = (
    "My parcel was {late} days late and the SwiftParcel tracking didn't update once.",
    "SwiftParcel had my order sitting in their depot for over a week with no tracking updates.",
    "No tracking updates for days, then the parcel turned up {late} days late.",
    "Another late parcel – the third this month with SwiftParcel.",
    "Tracking has said 'at local depot' for {late} days and nobody at SwiftParcel answers the phone.",
    "A late delivery, no tracking updates, and no email from you explaining why.",
    "I took a day off work for a delivery that came {late} days late.",
    "I ordered a present for my mum's birthday and it arrived {late} days late with no tracking in between.",
    "The parcel was promised for Tuesday and came {late} days late. The tracking page was stuck all along.",
)
INCIDENT_TITLES = (
    "Parcel {late} days late",
    "No tracking updates",
    "Where is my order?",
    "Still waiting – SwiftParcel",
    "Late delivery again",
    "Tracking not updating",
)
LINEN = (
    "Love the look of the Linen Edit {linen}, but it runs really small – I had to size up twice.",
    "The Linen Edit {linen} comes up at least one size small. Back it goes.",
    "Sizing on the new Linen Edit range is way off: it runs small across the shoulders.",
    "I'm a true {size} everywhere else but the Linen Edit {linen} was far too small.",
    "Beautiful fabric, but the Linen Edit {linen} runs small and the size guide doesn't say so.",
    "Returned the Linen Edit {linen} because it was too small – please update the size guide.",
    "Third Linen Edit item I've sent back. Everything in that range runs small.",
    "The Linen Edit {linen} is lovely but so small in the hips that I couldn't sit down in it.",
)
LINEN_TITLES = (
    "Linen Edit runs small",
    "Size up in the Linen Edit!",
    "Lovely linen, wrong sizing",
    "Too small",
    "Linen Edit sizing is off",
)
LINEN_PRAISE = (
    "The Linen Edit {linen} is gorgeous and so comfortable in the heat.",
    "Really like the new Linen Edit range, the {linen} drapes beautifully.",
)
ISSUE = {
    "delivery_speed": "my late parcel",
    "delivery_damage": "the broken {fragile}",
    "courier": "my lost parcel",
    "packaging": "the badly packed parcel",
    "product_quality": "my faulty {product}",
    "sizing_fit": "the sizing problem",
    "price_value": "the price difference",
    "stock": "my cancelled order",
    "returns_refunds": "my missing refund",
    "support": "my unanswered complaint",
    "usability_web": "my account problems",
    "usability_app": "the app problems",
    "checkout_payment": "the double charge",
    "incident": "my late SwiftParcel delivery",
}
RECOVERY = (
    "After my last survey the support team got in touch about {issue} and fixed it within a couple of days.",
    "I was unhappy about {issue}, but {agent} from the support team called me, apologised and sorted it out.",
    "Credit where it's due: the support team sorted out {issue} and sent a voucher as well.",
    "The support team followed up on {issue} without me having to chase and fixed it, which changed my mind.",
    "I was cross about {issue}, but the support team put it right quickly.",
)
RECOVERY_CLOSE = ("Much happier now.", "I'll keep shopping here.", "That's how to handle a complaint.", "")


class _Slots(dict):
    """Template slots, drawn from the catalogue only when a template uses them."""

    def __init__(self, rng: Random, fixed: dict):
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        rng = self.rng
        makers = {
            "product": lambda: rng.choice(R.GARMENTS + R.HOMEWARE + R.FRAGILE),
            "garment": lambda: rng.choice(R.GARMENTS),
            "homeware": lambda: rng.choice(R.HOMEWARE),
            "fragile": lambda: rng.choice(R.FRAGILE),
            "carrier": lambda: rng.choice(("Kestrel Couriers", "Parcelwise", "SwiftParcel")),
            "days": lambda: str(rng.randint(2, 6)),
            "late": lambda: str(rng.randint(3, 9)),
            "weeks": lambda: str(rng.randint(2, 4)),
            "agent": lambda: rng.choice(R.AGENTS),
            "amount": lambda: f"£{rng.randint(18, 160)}",
            "size": lambda: rng.choice(("8", "10", "12", "14", "16")),
            "code": lambda: rng.choice(R.PROMO_CODES),
            "linen": lambda: rng.choice(R.LINEN_ITEMS),
        }
        value = makers[key]()
        self[key] = value
        return value


def lower_first(sentence: str) -> str:
    """Lower-case a sentence's first letter to continue another ("However, the …"), unless "I" or a name."""
    first, _, rest = sentence.partition(" ")
    if first in ("I", "I'm", "I've", "I'd") or first[1:].lower() != first[1:] or rest[:1].isupper():
        return sentence
    return first[:1].lower() + first[1:] + (" " + rest if rest else "")


class Writer:
    """Composes texts from the banks with one generator; the same draws give the same texts."""

    def __init__(self, rng: Random):
        self.rng = rng

    def fill(self, template: str, **fixed) -> str:
        return template.format_map(_Slots(self.rng, fixed))

    def pick(self, bank, **fixed) -> str:
        return self.fill(self.rng.choice(bank), **fixed)

    def compose(self, tone: str, theme: str, other: str | None = None, **fixed) -> str:
        """tone: praise | complaint | mild (a milder complaint) | mixed (praise `other`, fault `theme`)."""
        rng, parts = self.rng, []
        if tone == "praise":
            if rng.random() < 0.3:
                parts.append(rng.choice(OPEN_PRAISE))
            parts.append(self.pick(PRAISE[theme], **fixed))
            if other and rng.random() < 0.35:
                parts.append(self.pick(PRAISE[other], **fixed))
            if rng.random() < 0.4:
                parts.append(rng.choice(CLOSE_PRAISE))
        elif tone == "complaint":
            if rng.random() < 0.35:
                parts.append(rng.choice(OPEN_COMPLAINT))
            parts.append(self.pick(COMPLAINT[theme], **fixed))
            if other and rng.random() < 0.3:
                parts.append(self.pick(COMPLAINT[other], **fixed))
            if rng.random() < 0.45:
                parts.append(rng.choice(CLOSE_COMPLAINT))
        elif tone == "mild":
            parts.append(self.pick(COMPLAINT[theme], **fixed))
            if rng.random() < 0.6:
                parts.append(rng.choice(CLOSE_MILD))
        elif tone == "mixed":
            good = other if other and other != theme else "product_quality"
            parts.append(self.pick(PRAISE[good], **fixed))
            parts.append(rng.choice(MIXED_JOIN) + lower_first(self.pick(COMPLAINT[theme], **fixed)))
        elif tone == "question":
            parts.append(self.pick(QUESTION[theme], **fixed))
        else:
            raise ValueError(f"unknown tone {tone!r}")
        return " ".join(parts)

    def incident(self, late: int | None = None, *, opener: bool = True) -> str:
        fixed = {"late": str(late)} if late else {}
        parts = []
        if opener and self.rng.random() < 0.4:
            parts.append(self.rng.choice(OPEN_COMPLAINT))
        parts.append(self.pick(INCIDENT, **fixed))
        if self.rng.random() < 0.4:
            parts.append(self.rng.choice(CLOSE_COMPLAINT))
        return " ".join(parts)

    def linen(self) -> str:
        text = self.pick(LINEN)
        if self.rng.random() < 0.3:
            text += " " + self.rng.choice(CLOSE_MILD)
        return text

    def recovery(self, theme: str) -> str:
        issue = self.fill(ISSUE.get(theme, "my problem"))
        text = self.pick(RECOVERY, issue=issue)
        close = self.rng.choice(RECOVERY_CLOSE)
        return f"{text} {close}".strip()
