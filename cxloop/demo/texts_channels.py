"""Channel-shaped texts for the demo: review titles, ticket subjects, social posts, chat transcripts,
interview notes, and a few French and German items. Written for this project; composed by the Writer of
cxloop/demo/texts.py."""

from __future__ import annotations

from .texts import COMPLAINT, PRAISE, QUESTION, Writer

TITLE_PRAISE = {
    "delivery_speed": ("Super fast delivery", "Arrived next day", "Quick and easy"),
    "delivery_damage": ("Perfect condition", "Well wrapped"),
    "courier": ("Lovely driver", "Great delivery experience"),
    "packaging": ("Plastic-free packaging!", "Beautifully packed"),
    "product_quality": ("Lovely quality", "Beautiful {product}", "Better than the photos"),
    "sizing_fit": ("Fits perfectly", "True to size"),
    "price_value": ("Great value", "Worth every penny"),
    "stock": ("Finally back in stock",),
    "returns_refunds": ("Easy returns", "Quick refund"),
    "support": ("Brilliant customer service", "Thank you {agent}!"),
    "usability_web": ("Easy to shop", "Great website"),
    "usability_app": ("Great app", "Easy to use"),
    "checkout_payment": ("Smooth checkout",),
}
TITLE_COMPLAINT = {
    "delivery_speed": ("Still waiting", "Late delivery", "Slow delivery"),
    "delivery_damage": ("Arrived broken", "Damaged parcel"),
    "courier": ("Parcel not delivered", "Terrible courier"),
    "packaging": ("Too much packaging", "Flimsy packaging"),
    "product_quality": ("Poor quality", "Not like the photos"),
    "sizing_fit": ("Sizing all over the place", "Wrong size guide"),
    "price_value": ("Overpriced", "Not worth it"),
    "stock": ("Always out of stock", "Order cancelled"),
    "returns_refunds": ("Still waiting for my refund", "Returns nightmare"),
    "support": ("Poor customer service", "No reply from support"),
    "usability_web": ("Website is a mess", "Search doesn't work"),
    "usability_app": ("App keeps crashing", "Buggy app", "Logs me out"),
    "checkout_payment": ("Charged twice", "Checkout broken"),
}
TITLE_MIXED = ("Good but could be better", "Mixed experience", "Nearly there", "OK overall", "Three stars")
TITLE_GENERIC_PRAISE = ("Five stars", "Will shop again", "Love it", "Excellent")
TITLE_GENERIC_COMPLAINT = ("Avoid", "Very disappointed", "Never again", "Not good enough")

SUBJECT = {
    "late_delivery": (
        "Order not arrived",
        "Where is my order?",
        "Parcel late – order {order}",
        "Delivery delayed",
    ),
    "no_tracking": ("Tracking not updating", "No tracking information for order {order}"),
    "damaged_item": ("Item arrived damaged", "Broken {product}", "Damaged delivery"),
    "product_fault": ("Faulty item", "{product} broken after a week", "Quality problem"),
    "courier_complaint": ("Complaint about driver", "Parcel marked delivered but not received"),
    "sizing_advice": ("Size question", "Exchange for a different size"),
    "refund_status": ("Refund not received", "Where is my refund?", "Return – order {order}"),
    "payment_issue": ("Charged twice", "Payment failed but money taken"),
    "promo_code": ("Discount code not working", "Promo code {code}"),
    "stock_question": ("Back in stock?", "Order cancelled – out of stock"),
    "account_login": ("Can't log in", "Password reset email not arriving"),
}
TOPIC_THEME = {
    "late_delivery": "delivery_speed",
    "no_tracking": "delivery_speed",
    "damaged_item": "delivery_damage",
    "product_fault": "product_quality",
    "courier_complaint": "courier",
    "sizing_advice": "sizing_fit",
    "refund_status": "returns_refunds",
    "payment_issue": "checkout_payment",
    "promo_code": "checkout_payment",
    "stock_question": "stock",
    "account_login": "usability_web",
}
GREETING = ("Hi,", "Hello,", "Hi there,", "Good morning,", "")
SIGN_OFF = ("Thanks, {first}", "Regards, {first}", "Thank you, {first}", "{first}", "Many thanks, {first}")

SOCIAL_PRAISE = (  # (theme, post)
    ("product_quality", "Obsessed with my new {product} from @hearthandthread ✨"),
    ("product_quality", "Living in my {garment} from @hearthandthread this week. So cosy."),
    ("product_quality", "Small haul from @hearthandthread – the {homeware} is even prettier in real life 🏡"),
    ("support", "Huge thanks to @hearthandthread for sorting my order so quickly 🙌"),
    ("packaging", "Delivery came a day early and the packaging is all paper. Love that @hearthandthread"),
)
SOCIAL_TAGS = ("#hearthandthread", "#homedecor", "#ootd", "#cosyhome", "#haul", "")
SOCIAL_COMPLAINT_END = ("Not impressed.", "Sort it out please.", "Any update?", "😡", "#customerservice", "")
SOCIAL_HANDLES = (
    "@cosycorner_kate",
    "@mrsjonesathome",
    "@dan_the_dad",
    "@styledbyrhi",
    "@northernnest",
    "@leeds_lass",
    "@homebodyhanna",
    "@thriftyfi",
    "@oatmilkoscar",
    "@mummy_of_three",
)

AGENT_REPLY = {
    "delivery_speed": "Sorry it's late. It's with {carrier} – I've chased them and will update you.",
    "delivery_damage": "I'm so sorry it arrived damaged. I've sent a replacement, no need to send it back.",
    "courier": "I'm sorry about that. I've raised it with {carrier} and opened a lost-parcel claim.",
    "packaging": "Thanks for telling us – I've passed this on to our warehouse team.",
    "product_quality": "Sorry to hear that. I can offer a refund or a replacement, whichever you prefer.",
    "sizing_fit": "I can exchange it for another size free of charge – which size would you like?",
    "price_value": "I can't change the price, but I've added a 10% voucher to your account.",
    "stock": "It's due back in stock in about two weeks; I've set up an alert for you.",
    "returns_refunds": "Your return has arrived. I've pushed the refund through; allow 3–5 working days.",
    "support": "I'm sorry you've had to chase. I'll look after this myself until it's resolved.",
    "usability_web": "I've reset your account settings – could you try again now?",
    "usability_app": "Could you update the app to the latest version? That release fixes the problem.",
    "checkout_payment": "The second payment is only a pending authorisation; it will drop off within 3 days.",
}
AGENT_ANSWER = (
    "Thanks for asking! I've sent the details to your email address – anything else I can help with?",
    "Good question – yes, you can. I've put a link to the help page in the chat.",
    "Let me check that for you… yes, that's fine. I've added a note to your account.",
)
CHAT_CLOSE = {
    "praise": (
        "Great, thank you so much!",
        "Perfect, thanks for your help.",
        "Brilliant, that's sorted then.",
    ),
    "neutral": ("OK, thanks.", "Right, I'll wait and see.", "Fine, thanks for checking."),
    "complaint": (
        "That's not good enough, I needed it this weekend.",
        "I've heard that before.",
        "So I just have to wait again? Really disappointing.",
    ),
}

INTERVIEW_HABITS = (
    "Shops mostly on the app, usually in the evening, and mostly for home bits.",
    "Buys clothes for the whole family twice a season; always checks the reviews first.",
    "Came for the sale two years ago and stayed for the bedding.",
    "Uses the website at work and the app at home; keeps a long wishlist.",
    "Orders several sizes and sends back what doesn't fit.",
)
INTERVIEW_SUGGESTIONS = (
    "Would like delivery updates by text rather than email.",
    "Asks for a fit guide with measurements of the model for every item.",
    "Wants a cheaper Hearth+ tier without the magazine.",
    "Would pay for nominated-day delivery.",
    "Suggests a repair service for knitwear.",
)

FOREIGN = {
    "fr": {
        "praise": (
            ("delivery", "Livraison rapide et article conforme à la description. Je recommande !"),
            ("product", "Très belle qualité, le linge de lit est doux et bien fini."),
            ("support", "Service client réactif et aimable, problème réglé en une journée."),
            ("delivery", "Emballage soigné et sans plastique, bravo."),
        ),
        "complaint": (
            ("delivery", "Colis arrivé avec une semaine de retard et aucun suivi."),
            ("returns", "Remboursement toujours pas reçu trois semaines après le retour."),
            ("product", "La taille ne correspond pas au guide, beaucoup trop petit."),
            ("returns", "Frais de retour vers la France beaucoup trop élevés."),
            ("delivery", "Le vase est arrivé cassé et personne ne répond à mes e-mails."),
        ),
        "mixed": (
            ("delivery", "Jolis produits, mais la livraison en France est lente."),
            ("returns", "Bonne qualité, mais les retours sont compliqués."),
        ),
        "title_praise": ("Très satisfaite", "Parfait", "Je recommande"),
        "title_complaint": ("Déçue", "Livraison trop lente", "Remboursement en attente"),
    },
    "de": {
        "praise": (
            ("delivery", "Schnelle Lieferung und sehr gute Qualität. Gerne wieder!"),
            ("product", "Die Bettwäsche ist wunderschön und fühlt sich hochwertig an."),
            ("support", "Freundlicher Kundenservice, mein Problem wurde sofort gelöst."),
            ("delivery", "Nachhaltige Verpackung, das gefällt mir sehr."),
        ),
        "complaint": (
            ("delivery", "Die Lieferung nach Deutschland hat fast zwei Wochen gedauert."),
            ("returns", "Die Rücksendung ist umständlich und die Erstattung dauert ewig."),
            ("product", "Die Größen fallen sehr klein aus, ich musste alles zurückschicken."),
            ("delivery", "Zollgebühren bei der Lieferung – davon stand nichts im Shop."),
            ("delivery", "Die Tasse kam zerbrochen an und niemand antwortet."),
        ),
        "mixed": (
            ("delivery", "Schöne Produkte, aber der Versand ist zu teuer."),
            ("delivery", "Gute Qualität, aber die Lieferung war langsam."),
        ),
        "title_praise": ("Sehr zufrieden", "Top Qualität", "Gerne wieder"),
        "title_complaint": ("Enttäuscht", "Lieferung zu langsam", "Erstattung fehlt"),
    },
}


class ChannelWriter(Writer):
    """The Writer, plus the shapes of each channel."""

    def title(self, tone: str, theme: str) -> str:
        rng = self.rng
        if tone == "praise":
            bank = TITLE_PRAISE[theme] if rng.random() < 0.7 else TITLE_GENERIC_PRAISE
        elif tone == "complaint":
            bank = TITLE_COMPLAINT[theme] if rng.random() < 0.75 else TITLE_GENERIC_COMPLAINT
        elif tone == "mild":
            bank = TITLE_COMPLAINT[theme]
        else:
            bank = TITLE_MIXED
        return self.pick(bank)

    def ticket(self, topic: str, tone: str, **fixed) -> tuple[str, str]:
        """(subject, description) of a support ticket."""
        theme = TOPIC_THEME[topic]
        subject = self.pick(SUBJECT[topic], **fixed)
        body = self.compose(tone, theme, **fixed)
        parts = [self.rng.choice(GREETING), body]
        if fixed.get("order") and fixed["order"] not in subject and self.rng.random() < 0.7:
            parts.append(f"My order number is {fixed['order']}.")
        parts.append(self.pick(SIGN_OFF, **fixed))
        return subject, "\n\n".join(p for p in parts if p)

    def social(self, platform: str, tone: str, theme: str) -> tuple[str, str]:
        """(theme, post): generic praise posts bring their own theme."""
        rng = self.rng
        if tone == "praise":
            if platform == "Instagram" or rng.random() < 0.5:
                theme, template = rng.choice(SOCIAL_PRAISE)
                text = self.fill(template)
            else:
                text = "@hearthandthread " + self.pick(PRAISE[theme])
            return theme, f"{text} {rng.choice(SOCIAL_TAGS)}".strip()
        if tone == "question":
            return theme, "@hearthandthread " + self.compose("question", theme)
        handle = "@HearthThreadHelp" if platform == "X" else "@hearthandthread"
        return theme, f"{handle} {self.pick(COMPLAINT[theme])} {rng.choice(SOCIAL_COMPLAINT_END)}".strip()

    def chat(self, tone: str, theme: str, **fixed) -> str:
        rng = self.rng
        opening = self.pick(QUESTION[theme] if tone == "neutral" else COMPLAINT[theme], **fixed)
        if tone == "neutral" and rng.random() < 0.5:
            opening = "Hi! " + opening
        agent = fixed.get("agent") or rng.choice(("Sam", "Aisha", "Joe", "Megan"))
        reply = self.fill(rng.choice(AGENT_ANSWER) if tone == "neutral" else AGENT_REPLY[theme], **fixed)
        lines = [
            f"Customer: {opening}",
            f"Agent ({agent}): {reply}",
            f"Customer: {rng.choice(CHAT_CLOSE[tone])}",
        ]
        if tone == "praise" and rng.random() < 0.5:
            lines.append(f"Agent ({agent}): You're welcome – have a lovely day!")
        return "\n".join(lines)

    def interview(self, who: str, good: tuple[str, str], bad: tuple[str, str]) -> str:
        rng = self.rng
        praise = [self.pick(PRAISE[t]) for t in good]
        pains = [self.pick(COMPLAINT[t]) for t in bad]
        return "\n".join(
            [
                who,
                "",
                rng.choice(INTERVIEW_HABITS),
                "",
                "What works:",
                *(f"- “{p}”" for p in praise),
                "",
                "Pain points:",
                *(f"- “{p}”" for p in pains),
                "",
                "Suggestions: " + rng.choice(INTERVIEW_SUGGESTIONS),
            ]
        ).replace("\n\n\n", "\n\n")

    def foreign(self, language: str, tone: str) -> tuple[str, str, str]:
        """(touchpoint, title, text) in French or German; tone is praise, mixed or complaint."""
        bank = FOREIGN[language]
        touchpoint, text = self.rng.choice(bank[tone])
        title = self.rng.choice(bank["title_praise" if tone == "praise" else "title_complaint"])
        return touchpoint, title, text
