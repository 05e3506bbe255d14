"""Rule-based flags with their evidence: `flags(text, language) -> {name: Flag(score, evidence)}`.

Flags (only those raised are returned; NAMES lists them all):
- "safety": injury, burns, fire, smoke, electric shock, allergic reaction, choking, poisoning, hospital.
- "legal": solicitor/lawyer, suing, court, small claims, trading standards, ombudsman, regulators, chargeback.
- "outage": site/app/payments down, outage, server errors, "can't log in", payment or checkout failing
  (strongest when it is "for everyone").
- "urgency": raised with any of the three above; its score is their highest, its evidence all of theirs.
- "churn": cancelling a subscription/membership/account, closing an account, "never ordering again",
  "shopping elsewhere", switching to a competitor, not renewing.
- "complaint": the text reports something that went wrong (late, never arrived, damaged, does not work, wrong
  or missing item, lost, cancelled by the company, charged twice, rude staff, not as described, long waits,
  "terrible", "unacceptable"). English only. A reported problem makes an otherwise neutral reading negative.
- "effort": contacting several times ("had to call three times"), chasing for weeks, long holds ("on hold for
  an hour"), nobody getting back, explaining again, being passed around, call-backs that never came.

English rules always run; German, French and Spanish rules cover the strongest cues and run for texts in
those languages; for "und" (language unknown) every language's rules run. Each rule has a weight (how sure
its words are); a flag's score is 1 - Π(1 - weight) over the distinct rules that matched, so several cues
add up and the score stays below 1. Evidence is the matched words as written in the text.

Negation: a cue is dropped when a negation ("not", "n't", "never", "no", "without", "no need to",
German "nicht/kein/nie/ohne", French "ne/n'/pas/jamais/sans", Spanish "no/nunca/sin") stands in the three
words before it in the same clause ("I won't cancel", "no need to sue", "without me having to chase",
"nobody was hurt"), or, in German, in the three words after it ("ich kündige nicht"). Cues that contain
their own negation ("never ordering again", "can't log in", "nobody gets back") still count.

What it misses: paraphrases without the listed words ("I'll take my chances with another shop"), sarcasm
("great, third time lucky"), negation further away or across clauses ("I don't think that, after all this,
I'll cancel"), hypotheticals ("if it had caught fire..."), conditionals are flagged ("if this isn't fixed I'll
cancel" raises churn, as it should for a team), and other languages than en/de/fr/es. Rules favour precision
over recall: ambiguous words alone ("fire", "burn", "shocked", "hurt", "cancel my order") do not raise a flag.
"""

from __future__ import annotations

import re
from typing import NamedTuple

NAMES = ("urgency", "safety", "legal", "outage", "churn", "effort", "complaint")
URGENCY_PARTS = ("safety", "legal", "outage")
MAX_EVIDENCE = 5


class Flag(NamedTuple):
    score: float
    evidence: tuple[str, ...]


# (flag, weight, anchors, pattern). Anchors are word starts ("|"-separated, may contain a space): a rule's
# pattern is only tried on texts containing one of them, which keeps the whole set fast.
Rule = tuple[str, float, str, str]

_N = (
    r"(?:three|four|five|six|seven|eight|nine|ten|several|multiple|many|countless|numerous|so many|a dozen"
    r"|\d+)"
)
_WHO = r"(?:my|his|her|their|our|the baby'?s?|the child'?s?|me|him|them|myself|himself|herself|themselves)"

RULES: dict[str, tuple[Rule, ...]] = {
    "en": (
        # ---- safety
        ("safety", 0.9, "fire",
         r"\b(?:caught|catch(?:es|ing)?|burst into|set on|started|starting|caused|causing) (?:a )?fire\b"),
        ("safety", 0.9, "fire", r"\bfire (?:hazard|risk|brigade|service|department)\b"),
        ("safety", 0.9, "allerg|anaphyla|epipen", r"\b(?:allergic|anaphyla\w*|epipen)\b"),
        ("safety", 0.8, "chok", r"\bchok(?:e|ed|es|ing)\b"),
        ("safety", 0.9, "electric|electrocut|shock|gave",
         r"\b(?:electric(?:al)? shock|electrocut\w*|shocked me|gave (?:me|him|her|us) (?:a|"
         r"an) (?:electric )?shock)\b"),
        ("safety", 0.9, "burn|scald",
         rf"\b(?:burn(?:t|ed|s)?|scald(?:ed|s)?) {_WHO}\b|\bburns? (?:on|to) {_WHO}\b"),
        ("safety", 0.9, "burnt|burned|scalded|injured|hurt|electrocuted",
         r"\b(?:got|was|were|been) (?:badly |seriously |slightly )?(?:burn(?:t|ed)|scalded|injured|hurt|"
         r"electrocuted)\b"),
        ("safety", 0.9, "injur|hospital|a&e|a & e|emergency|ambulance|stitches",
         r"(?<!insult to )\b(?:injur(?:y|ies|ed|ing)|hospitali[sz]ed|hospital|a ?& ?e|emergency room|"
         r"ambulance|stitches)\b"),
        ("safety", 0.8, "overheat|explod|smok|smoke|spark",
         r"\b(?:overheat(?:s|ed|ing)?|explod(?:e|ed|es|ing)|smok(?:ed|ing) (?:from|out)|smoke (?:came|"
         r"coming|pouring|everywhere)|sparks? (?:came|coming|flying|from|out)|sparking|sparked)\b"),
        ("safety", 0.8, "food|poison|toxic|carbon|gas",
         r"\b(?:food poisoning|poison(?:ed|ing|ous)|toxic fumes|carbon monoxide|gas leak)\b"),
        ("safety", 0.7, "cut|sliced|gash",
         rf"\b(?:cut|sliced|gashed) {_WHO} (?:hand|finger|thumb|foot|leg|arm|face|head)\b"),
        ("safety", 0.6, "unsafe|danger|hazard|safety|sharp",
         r"\b(?:unsafe|dangerous|hazard(?:ous)?|safety (?:issue|concern|risk|hazard)|sharp (?:edge|point|"
         r"spike)s?)\b"),
        ("safety", 0.5, "rash|skin|hives|blister", r"\b(?:rash|skin reaction|hives|blister(?:s|ed|ing)?)\b"),
        # ---- legal
        ("legal", 0.9, "solicit|lawyer|attorney|legal|court|small|trading|ombuds|citizens|consumer|letter|"
         "ccj",
         r"\b(?:solicitors?|lawyers?|attorneys?|legal (?:action|proceedings|advice|team)|court action|"
         r"small claims(?: court)?|county court|trading standards|ombudsman|citizens advice|"
         r"consumer rights act|letter before action|ccj)\b"),
        ("legal", 0.9, "sue|suing", r"(?-i:\b(?:sue|sued|suing)\b)"),
        ("legal", 0.9, "court", r"\b(?:take|taking|took) (?:you|them|this|it|the company|[\w&]+) to court\b"),
        ("legal", 0.8, "report",
         r"\breport(?:ing|ed)?(?: (?:you|this|them|it))? to (?:the )?(?:asa|ico|cma|fca|ofcom|ofgem|police|"
         r"watchdog|bbb|regulator|information commissioner|advertising standards)\b"),
        ("legal", 0.6, "gdpr|data protect|subject access",
         r"\b(?:gdpr|data protection|subject access request)\b"),
        ("legal", 0.6, "chargeback|section|illegal|unlawful|breach|statutory|legal",
         r"\b(?:chargeback|section 75|illegal|unlawful|breach of contract|statutory rights|legal rights)\b"),
        # ---- outage
        ("outage", 0.9, "down|offline|unavailable",
         r"\b(?:site|website|web site|app|servers?|service|system|checkout|payments?) (?:is|are|was|"
         r"has been|have been|seems|seem|keeps going|went|goes) (?:completely |totally |still )?(?:down|"
         r"offline|unavailable)\b"),
        ("outage", 0.9, "outage|site down|website down|app down|servers down",
         r"\b(?:outages?|(?:site|website|app|servers?) down)\b"),
        ("outage", 0.9, "nobody|no one|no-one|none",
         r"\b(?:nobody|no one|no-one|none of us) can (?:log ?in|sign ?in|order|pay|check ?out|access)\b"),
        ("outage", 0.9, "everyone|everybody|all users|all customers|all of us|other people|other customers",
         r"\b(?:payments?|checkout|log ?in|sign ?in|the (?:site|website|app)|it)\b[^.!?]{0,40}\b(?:failing|"
         r"failed|broken|not working|down|crashing)\b[^.!?]{0,30}\b(?:for |affecting )?(?:everyone|"
         r"everybody|all (?:users|customers|of us)|other (?:people|customers))\b"),
        ("outage", 0.7, "error|server|internal|gateway|bad gateway|service unavailable|500|502|503|504",
         r"\b(?:error (?:50[0-4]|404)|50[0-4] error|(?:internal )?server error|gateway time-?out|"
         r"bad gateway|service unavailable)\b"),
        ("outage", 0.6, "log in|login|log-in|sign in|signin|access my|get into my|check out|checkout|pay|"
         "place an|place my",
         r"\b(?:can ?not|can[’']?t|cannot|unable to|couldn[’']?t|could not|won[’']?t let me|"
         r"doesn[’']?t let me|didn[’']?t let me) (?:log ?in|login|sign ?in|access my account|"
         r"get into my account|check ?out|pay|place (?:an|my) order)\b"),
        ("outage", 0.6, "payment|checkout",
         r"\b(?:payments?|checkout) (?:page )?(?:keeps |kept |is |was |keeps on )?(?:failing|failed|broken|"
         r"not working|timing out|timed out|erroring)\b"),
        ("outage", 0.5, "site|website|page|app",
         r"\b(?:site|website|page|app) (?:won[’']?t|will not|doesn[’']?t|does not|didn[’']?t|did not|keeps|"
         r"kept) (?:load|open|work|crashing|freezing)\b"),
        # ---- churn
        ("churn", 0.9, "cancel|terminat|ending my|end my|ending our|end our|ending the|end the|quit",
         r"\b(?:cancel(?:l?ing|l?ed|s)?|cancellation of|terminat(?:e|ing|ed)|end(?:ing)?|quit(?:ting)?) "
         r"(?:my|our|the) (?:[\w+&'-]+ ){0,2}?(?:subscription|membership|account|contract|"
         r"plan|direct debit|policy|sub)\b"),
        ("churn", 0.9, "clos|delet|deactivat|remov",
         r"\b(?:clos(?:e|ing|ed)|delet(?:e|ing|ed)|deactivat(?:e|ing|ed)|remov(?:e|ing|ed)) (?:my|"
         r"our) (?:account|membership|profile)\b"),
        ("churn", 0.9, "again|anymore|any more",
         r"\b(?:never|won[’']?t|will not|wouldn[’']?t|(?:am |i'm |im )?not going to|no longer|"
         r"not) (?:ever )?(?:be )?(?:order(?:ing)?|shop(?:ping)?|buy(?:ing)?|purchas(?:e|ing)|us(?:e|ing)|"
         r"com(?:e|ing) back|return(?:ing)?)\b(?: \S+){0,3}? (?:again|anymore|any more)\b"),
        ("churn", 0.7, "never again", r"\bnever again\b"),
        ("churn", 0.8, "elsewhere",
         r"\b(?:(?:shop(?:ping|ped)?|order(?:ing|ed)?|buy(?:ing)?|bought|look(?:ing)?) elsewhere|"
         r"tak(?:e|ing) my (?:business|custom|money) elsewhere|cheaper elsewhere)\b"),
        ("churn", 0.8, "switch|moving|move|moved",
         r"\b(?:switch(?:ing|ed)?|mov(?:e|ing|ed))(?: over)? to (?:a |an )?(?:competitor|rival|(?:another|"
         r"a different|different) (?:provider|bank|shop|store|retailer|company|supplier|airline|carrier|"
         r"network|brand|service|insurer))\b"),
        # "switching to Zalando", not "was switched to another flight" or "switching to Apple Pay"
        ("churn", 0.7, "switch",
         r"(?<!was )(?<!were )(?<!been )(?<!got )\bswitch(?:ing|ed)?(?: over)? to (?!(?:apple|google) pay\b|"
         r"paypal\b|klarna\b)(?-i:[A-Z])\w+"),
        ("churn", 0.7, "leav|done with|finished with|through with",
         r"\b(?:leav(?:e|ing) (?:you|this (?:shop|store|company))(?! (?:a|an|my|some|feedback|\d)\b)|"
         r"(?:done|finished|through) with (?:you|this (?:shop|store|company)))\b"),
        ("churn", 0.7, "renew", r"\b(?:not|won[’']?t|will not|no longer) (?:be )?renew(?:ing)?\b"),
        ("churn", 0.6, "thinking|considering|thought",
         r"\b(?:thinking|considering|thought) (?:about|of) (?:cancell?ing|leaving|switching|closing|"
         r"quitting)\b"),
        ("churn", 0.7, "last time", r"\blast time (?:i|we) (?:ever )?(?:order|shop|buy|use)\b"),
        # ---- effort
        ("effort", 0.8, "times",
         rf"\b(?:call(?:ed|ing)?|rang|ring(?:ing)?|phon(?:e|ed|ing)|e-?mail(?:ed|ing)?|contact(?:ed|ing)?|"
         rf"chas(?:e|ed|ing)|messag(?:e|ed|ing)|wr(?:o|i)te|writing|written|"
         rf"spoken? to (?:you|them|someone|support)|been in touch)\b(?: \S+){{0,3}}? {_N} times\b"),
        ("effort", 0.8, "tried",
         rf"\btried\b(?: \S+){{0,3}}? {_N} times\b(?=[^.!?]{{0,40}}\b(?:call|reach|contact|get (?:in touch|"
         rf"through|hold)|speak|talk|e-?mail|phone|ring)\w*)"),
        ("effort", 0.8, "time",
         r"\b(?:(?:third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) time (?:i've|i have|i'm|i am|i had|that i|"
         r"i've had|of asking)|for the (?:third|fourth|fifth|sixth|\d+(?:rd|th)) time)\b"),
        ("effort", 0.8, "chas", r"\bchas(?:e|ed|ing)\b(?: \S+){0,4}? (?:for )?(?:days|weeks|months|ages)\b"),
        ("effort", 0.7, "chas",
         r"\b(?:had|have|having) to (?:keep )?chas(?:e|ing)\b|\b(?:keep|kept) (?:having to )?chasing\b"),
        ("effort", 0.8, "hold",
         r"\bon hold\b(?: \S+){0,2}? (?:for )?(?:an hour|over an hour|hours|ages|forever|\d+ ?(?:minutes|"
         r"mins|hours))\b"),
        ("effort", 0.8, "hold",
         r"\b(?:\d+|an|over an|(?:twenty|thirty|forty|fifty|sixty|ninety)(?:-five)?) (?:minutes?|mins|"
         r"hours?) on hold\b|\b(?:hours|ages) on hold\b"),
        ("effort", 0.8, "nobody|no one|no-one|noone",
         r"\b(?:nobody|no one|no-one|noone)(?: (?:from|at) \w+)? (?:has |have |ever |ever has )?(?:get|"
         r"gets|got|gotten|came|come|comes|called|rang|wrote|replied|responded|answered|answers|replies|"
         r"responds|picks up|helps|helped|cares|seems to care)\b(?: back)?"),
        ("effort", 0.6, "no reply|no response|no answer|automated",
         r"\b(?:no (?:reply|response|answer) (?:at all|yet|for|since|after|to)|nothing but (?:automated|"
         r"generic|canned) (?:replies|responses|emails)|automated (?:replies|responses))\b"),
        ("effort", 0.7, "explain|repeat",
         r"\b(?:explain(?:ed|ing)?|repeat(?:ed|ing)?)\b(?: \S+){0,4}? (?:again|from scratch|all over again|"
         r"every time|each time)\b"),
        ("effort", 0.7, "around|pillar|between departments|back and forth|another|transferred",
         r"\b(?:(?:passed|pushed|bounced|transferred|sent) (?:around|from pillar to post|"
         r"between departments|back and forth|from one \w+ to another)|"
         r"transferred (?:\S+ ){0,2}?" + _N + r" times)\b"),
        ("effort", 0.6, "circles", r"\b(?:go(?:es|ing)?|went|round|around) (?:round |around )?in circles\b"),
        ("effort", 0.6, "no way",
         r"\bno way to (?:reach|contact|speak to|talk to|get hold of) (?:a human|anyone|someone|a person|"
         r"a real person)\b"),
        ("effort", 0.6, "hoops", r"\bjump(?:ing)? through (?:so many |endless |all these )?hoops\b"),
        ("effort", 0.6, "promised|call back|callback|call-back",
         r"\b(?:promised (?:a |to )?call ?-?back|call ?-?back (?:that |which )?never)\b"),
        ("effort", 0.7, "get through|reach anyone|speak to anyone|talk to anyone|get hold|get an answer",
         r"\b(?:couldn[’']?t|could not|can[’']?t|cannot|unable to) (?:get through|reach anyone|"
         r"speak to anyone|talk to anyone|get hold of anyone|get an answer)\b"),
        ("effort", 0.5, "still",
         r"\bstill (?:waiting for|no|not heard|haven[’']?t heard|haven[’']?t had|"
         r"hasn[’']?t)\b(?: \S+){0,3}? (?:reply|response|answer|call ?back|refund|anyone)\b"),
        # ---- complaint: the text reports something that went wrong for the customer
        ("complaint", 0.7, "late",
         r"\b(?:(?:\d+|a|an|one|two|three|four|five|six|several|few|many) (?:days?|weeks?|hours?|mins?|"
         r"minutes?) late|(?:arriv(?:ed|es|ing)|came|turned up|delivered|got here|showed up|running|was|is|"
         r"were|are) (?:\w+ ){0,2}?late|late (?:again|delivery|deliveries|flight|arrival|departure))\b"),
        ("complaint", 0.5, "delay", r"\bdelay(?:ed|s)?\b"),
        ("complaint", 0.8, "never|still|has|have|had|did|not",
         r"\b(?:never|still (?:has ?n[’']?t|have ?n[’']?t|not|hasn[’']?t)|has ?n[’']?t|have ?n[’']?t|"
         r"did ?n[’']?t|not) (?:yet )?(?:arrived?|c[oa]me|turned up|been delivered|delivered|received|"
         r"showed? up|been refunded|refunded)\b"),
        ("complaint", 0.7, "still waiting", r"\bstill waiting\b"),
        ("complaint", 0.7, "damaged|broken|smashed|crushed|cracked|torn|ripped|dented|shattered|pieces|"
         "scratched|stained|leak|faulty|defective|bobbled|shrunk|faded|mouldy|moldy|soaked|chipped|ruined|flimsy|"
         "feel|look|felt|cheaply",
         r"\b(?:damaged|broken|smashed|crushed|cracked|torn|ripped|dented|shattered|in pieces|scratched|"
         r"stained|leak(?:ing|ed|s)|faulty|defective|bobbled|shrunk|faded|mouldy|moldy|soaked|chipped|ruined|flimsy|"
         r"(?:feels?|looks?|felt|looked) cheap|cheaply made)\b"),
        ("complaint", 0.7, "does|did|do|won|is|not|stopped|never|doesn|didn|don|isn",
         r"\b(?:does ?n[’']?t|did ?n[’']?t|do ?n[’']?t|wo ?n[’']?t|is ?n[’']?t|not|stopped|never) "
         r"work(?:ing|s|ed)?\b"),
        ("complaint", 0.6, "missing|wrong|incorrect",
         r"\b(?:missing|wrong (?:item|size|colou?r|order|product|address|parcel|package|one|amount|"
         r"bag|seat|information|info)|sent (?:me |us )?the wrong|incorrect)\b"),
        ("complaint", 0.8, "lost|misplaced",
         r"\b(?:lost|misplaced|mislaid) (?:my|our|the|his|her) (?:\w+ )?(?:bags?|luggage|baggage|parcel|"
         r"package|order|suitcase|item|delivery|booking|reservation|money|payment)\b"),
        ("complaint", 0.6, "cancel",
         r"\b(?:cancell?ed (?:my|our|the) (?:flight|order|booking|delivery|appointment|reservation)|"
         r"(?:flight|order|booking|delivery|appointment|reservation)s? "
         r"(?:was |were |got |has been |have been )?cancell?ed)\b"),
        ("complaint", 0.6, "no refund|still no|waiting for|where is my|where's my|yet to",
         r"\b(?:no refund|still no (?:refund|reply|response|answer|update|news|sign)|"
         r"waiting for (?:my|a|the|our) (?:refund|reply|response|parcel|order|delivery|money)|"
         r"where(?: is|[’']s) my (?:refund|order|parcel|package|delivery|money|bag|luggage)|"
         r"yet to (?:receive|get|see) (?:my|a|the|our|any))\b"),
        ("complaint", 0.8, "charged|double|overcharg|extra charge|hidden",
         r"\b(?:charged (?:me |us )?(?:twice|double|two times|again|extra|for nothing)|double[- ]charged|"
         r"overcharg(?:ed|ing)|extra charges?|hidden (?:fees?|charges?|costs?))\b"),
        ("complaint", 0.7, "rude|unhelpful|useless|incompetent|disrespectful|dismissive|condescending|"
         "unprofessional|hung up",
         r"\b(?:rude|unhelpful|useless|incompetent|disrespectful|dismissive|condescending|unprofessional|"
         r"hung up on)\b"),
        ("complaint", 0.5, "terrible|awful|horrible|appalling|dreadful|unacceptable|ridiculous|worst|"
         "disappoint|pathetic|fed up|unhappy|not happy|poor|shocking|disgrace|joke",
         r"\b(?:terrible|awful|horrible|appalling|dreadful|unacceptable|ridiculous|worst|"
         r"disappoint(?:ed|ing)|pathetic|fed up|unhappy|not happy|"
         r"poor (?:service|quality|communication|experience|customer service)|"
         r"shocking(?:ly)? (?:bad|poor|service)|disgraceful|a (?:complete |total )?joke)\b"),
        ("complaint", 0.8, "nothing like|not as|misleading",
         r"\b(?:(?:looks? |looked |is |was )?nothing like (?:the |in the |it did in the )?"
         r"(?:photos?|pictures?|description|images?|advert|website)|"
         r"not as (?:described|advertised|pictured|shown)|misleading)\b"),
        ("complaint", 0.6, "waited|waiting",
         r"\b(?:waited|waiting) (?:\w+ ){0,2}?(?:for )?(?:over |more than |almost |nearly )?(?:an hour|hours|"
         r"ages|days|weeks|months|a week|a month|a fortnight|\d+ ?(?:minutes|mins|hours|hrs|days|weeks))\b"),
        ("complaint", 0.6, "stranded|stuck", r"\b(?:stranded|stuck (?:at|in|on))\b"),
        ("complaint", 0.5, "out of stock|sold out|unavailable", r"\b(?:out of stock|sold out|unavailable)\b"),
        ("complaint", 0.6, "wouldn|won|didn|doesn|couldn|would|will|did|does|could",
         r"\b(?:would ?n[’']?t|wo ?n[’']?t|did ?n[’']?t|does ?n[’']?t|could ?n[’']?t|would not|will not|"
         r"did not|does not|could not) (?:apply|load|open|accept|let me|go through|respond|update|turn on|"
         r"charge|connect|refund|process|show up)\b"),
        ("complaint", 0.6, "no explanation|no update|no information|no apology|no one|no idea",
         r"\bno (?:explanation|updates?|information|apology|idea where)\b"),
        ("complaint", 0.6, "longer", r"\b(?:days?|weeks?|hours?) longer than\b"),
        ("complaint", 0.5, "could|let|not good|not impressed|a shame",
         r"\b(?:could (?:do|have done) better|let[- ]down|not good enough|not impressed|a shame)\b"),
        ("complaint", 0.5, "does|did|do|too|doesn|didn|don",
         r"\b(?:(?:does ?n[’']?t|did ?n[’']?t|do ?n[’']?t) fit|too (?:small|big|large|tight|short|long|"
         r"narrow|loose|thin|expensive))\b"),
        ("complaint", 0.5, "problem|issue|trouble",
         r"\b(?:(?:problems?|issues?|trouble) with|(?:had|have|having|still) (?:a |an |the same )?"
         r"(?:problem|issue|trouble)s?)\b"),
        ("complaint", 0.6, "complain|made|make|raised|raise|filed|file|lodged|lodge|submitted|my",
         r"\b(?:complain(?:ed|ing)|(?:made|make|raised|raise|filed|file|lodged|lodge|submitted|my) "
         r"(?:a |an |an official |a formal )?complaint)\b"),
        ("complaint", 0.6, "cut off|hung up", r"\b(?:got |was )?cut off\b"),
        ("complaint", 0.5, "can|cannot|could|unable",
         r"\b(?:ca ?n[’']?t|cannot|could ?n[’']?t|could not|unable to) (?:log ?in|sign in|check ?out|pay|"
         r"find|access|reach|contact|track|book|use|change|return|get (?:a |my |through|hold|any))\b"),
    ),
    "de": (
        ("safety", 0.9, "verletz|verbrenn|verbrannt|verbrüh|allergisch|stromschlag|erstick|krankenhaus|"
         "notaufnahme|explodier|überhitz|feuer|brand",
         r"\b(?:verletz\w*|verbrenn\w*|verbrannt\w*|verbrüh\w*|allergische\w* reaktion|stromschlag|"
         r"erstick\w*|krankenhaus|notaufnahme|explodier\w*|überhitz\w*|feuer gefangen|fing feuer|in brand|"
         r"brand (?:ausgelöst|verursacht))\b"),
        ("safety", 0.6, "gefährlich|gefahr", r"\b(?:gefährlich\w*|lebensgefahr|brandgefahr)\b"),
        ("legal", 0.9, "anwalt|anwält|rechtsanw|verklag|klage|gericht|rechtlich|verbraucherzentrale|abmahn|"
         "mahnbescheid",
         r"\b(?:anwalt|anwältin|anwälte\w*|rechtsanw\w*|verklag\w*|klage\w*|gericht\w*|rechtliche schritte|"
         r"verbraucherzentrale|abmahnung|mahnbescheid)\b"),
        ("outage", 0.9, "seite|website|webseite|app|shop|server|kasse|zahlung|störung|ausfall",
         r"\b(?:(?:seite|website|webseite|app|shop|server|kasse|zahlung\w*) (?:ist |sind |war |"
         r"waren )?(?:down|offline|nicht erreichbar|ausgefallen)|störung|ausfall)\b"),
        ("outage", 0.6, "kann|konnte|einlogg|anmeld",
         r"\b(?:kann|konnte) mich (?:seit \w+ )?nicht (?:mehr )?(?:einloggen|anmelden)\b"),
        ("churn", 0.9, "kündig", r"\bkündig\w*\b"),
        ("churn", 0.9, "nie|niemals|nicht mehr",
         r"\b(?:nie|niemals|nicht) (?:mehr |wieder )+(?:\w+ )?(?:bestell\w*|kauf\w*|hier|bei (?:euch|"
         r"ihnen))\b"),
        ("churn", 0.7, "nie wieder", r"\bnie wieder\b"),
        ("churn", 0.9, "konto|account|mitgliedschaft|abo",
         r"\b(?:konto|account|kundenkonto|mitgliedschaft|abo\w*) (?:löschen|schließen|auflösen)\b"),
        ("churn", 0.8, "wechsle|wechseln|konkurrenz|woanders",
         r"\b(?:wechsle zu|wechseln zu|zur konkurrenz|(?:bestelle|kaufe) (?:ab jetzt |"
         r"in zukunft )?woanders)\b"),
        ("effort", 0.8, "zwei|drei|vier|fünf|mehrere|mehrmals|dreimal|viermal|fünfmal|x-mal|zigmal|1|2|3|4|"
         "5|6|7|8|9",
         r"\b(?:(?:zwei|drei|vier|fünf|mehrere|\d+) ?mal|dreimal|viermal|fünfmal|mehrmals|x-mal|"
         r"zigmal) (?:\w+ )?(?:angerufen|geschrieben|nachgefragt|gemeldet|kontaktiert|gemailt)\b"),
        ("effort", 0.8, "warteschleife", r"\bwarteschleife\b"),
        ("effort", 0.8, "niemand|keiner",
         r"\b(?:niemand|keiner) (?:meldet|antwortet|ruft|hilft|reagiert)\w*\b"),
        ("effort", 0.6, "keine antwort|keine reaktion|seit wochen",
         r"\b(?:keine (?:antwort|reaktion)|seit wochen (?:warte|keine|nichts))\b"),
    ),
    "fr": (
        ("safety", 0.9, "bless|brûl|brul|réaction|reaction|incendie|pris feu|prend feu|étouff|etouff|"
         "électrocut|electrocut|décharge|decharge|hôpital|hopital|urgences|explos|surchauff",
         r"\b(?:bless[ée]\w*|br[ûu]l(?:é|ée|és|ées|ure|ures)|r[ée]action allergique|incendie|a pris feu|"
         r"prend feu|[ée]touff\w*|[ée]lectrocut\w*|d[ée]charge [ée]lectrique|h[ôo]pital|urgences|explos\w*|"
         r"surchauff\w*)\b"),
        ("safety", 0.6, "dangereu", r"\bdangereu\w*\b"),
        ("legal", 0.9, "avocat|poursui|action en justice|plainte|tribunal|mise en demeure|dgccrf|ufc|"
         "60 millions|médiateur|mediateur",
         r"\b(?:avocat\w*|poursuivre en justice|poursuites|action en justice|porter plainte|plainte|"
         r"tribunal|mise en demeure|dgccrf|ufc[- ]que choisir|60 millions|m[ée]diateur)\b"),
        ("outage", 0.9, "site|appli|serveur|paiement|panne",
         r"\b(?:(?:site|appli\w*|serveur|paiement) (?:est |était )?(?:en panne|inaccessible|hors service|"
         r"hors ligne)|panne g[ée]n[ée]rale)\b"),
        ("outage", 0.6, "impossible|arrive|peux",
         r"\b(?:impossible de|je n['’]arrive pas à|je ne peux pas) (?:me connecter|payer|commander|"
         r"valider (?:ma|la) commande)\b"),
        ("churn", 0.9, "résili|resili|fermer|supprimer|clôturer|cloturer|désabonn|desabonn",
         r"\b(?:r[ée]sili\w*|(?:fermer|supprimer|cl[ôo]turer) mon compte|d[ée]sabonn\w*)\b"),
        ("churn", 0.9, "plus jamais|ne commanderai|ailleurs|dernière|derniere",
         r"\b(?:plus jamais|je ne (?:re)?commanderai (?:plus|jamais)|(?:commander|acheter|voir) ailleurs|"
         r"derni[èe]re commande chez vous)\b"),
        ("effort", 0.8, "appel|relanc|écrit|ecrit|contact",
         r"\b(?:appel[ée]\w*|relanc[ée]\w*|[ée]crit|contact[ée]\w*)\b(?: \S+){0,3}? (?:trois|quatre|cinq|"
         r"plusieurs|\d+) fois\b"),
        ("effort", 0.8, "personne",
         r"\bpersonne ne (?:r[ée]pond|rappelle|m['’]a (?:r[ée]pondu|rappel[ée])|me r[ée]pond)\w*"),
        ("effort", 0.6, "aucune|sans|pas de", r"\b(?:aucune r[ée]ponse|sans r[ée]ponse|pas de r[ée]ponse)\b"),
        ("effort", 0.6, "en attente", r"\ben attente depuis (?:des|plusieurs|\d+) (?:jours|semaines|mois)\b"),
    ),
    "es": (
        ("safety", 0.9, "herid|lesi|quemad|me quem|se quem|reacci|incendi|prendi|atragant|asfixi|descarga|"
         "electrocut|hospital|urgencias|explot|sobrecalent",
         r"\b(?:herid[oa]s?|lesi[óo]n\w*|quemadura\w*|me quem[ée]|se quem[óo]|reacci[óo]n al[ée]rgica|"
         r"incendi\w*|prendi[óo] fuego|atragant\w*|asfixi\w*|descarga el[ée]ctrica|electrocut\w*|hospital|"
         r"urgencias|explot\w*|sobrecalent\w*)\b"),
        ("safety", 0.6, "peligros", r"\bpeligros\w*\b"),
        ("legal", 0.9, "abogad|demand|denunci|acciones legales|medidas legales|tribunal|juzgado|facua|ocu|"
         "hoja de reclam",
         r"\b(?:abogad\w*|demandar\w*|demanda judicial|denunci\w*|acciones legales|medidas legales|"
         r"tribunal\w*|juzgado|facua|ocu|hoja de reclamaciones)\b"),
        ("outage", 0.9, "web|página|pagina|app|aplicaci|servidor|pago",
         r"\b(?:la web|la p[áa]gina|la app|la aplicaci[óo]n|el servidor|el pago) (?:est[áa] |"
         r"sigue )?(?:ca[íi]d[ao]|fuera de servicio)\b"),
        ("outage", 0.6, "no puedo", r"\bno puedo (?:iniciar sesi[óo]n|entrar en mi cuenta|acceder|pagar)\b"),
        ("churn", 0.9, "cancel|dar de baja|darme de baja|me doy de baja|cerrar",
         r"\b(?:cancel(?:ar|o|aré|é) (?:mi|la) (?:suscripci[óo]n|cuenta|membres[íi]a|contrato)|"
         r"dar(?:me)? de baja|me doy de baja|cerrar mi cuenta)\b"),
        ("churn", 0.9, "nunca más|nunca mas|no vuelvo|no volveré|no volvere",
         r"\b(?:nunca m[áa]s|no vuelvo a (?:comprar|pedir)|no volver[ée] a (?:comprar|pedir))\b"),
        ("effort", 0.8, "llam|escrib|reclam",
         r"\b(?:llam[ée]|escrib[íi]|reclam[ée])\b(?: \S+){0,3}? (?:tres|cuatro|cinco|varias|muchas|"
         r"\d+) veces\b"),
        ("effort", 0.8, "nadie",
         r"\bnadie (?:responde|contesta|me (?:responde|contesta|ha respondido|ha contestado|llama))\b"),
        ("effort", 0.6, "sin respuesta|ninguna respuesta|en espera",
         r"\b(?:sin respuesta|ninguna respuesta|en espera (?:durante )?(?:una hora|\d+ minutos|horas))\b"),
    ),
}  # fmt: skip

_NEGATION_BEFORE = {
    "en": r"\b(?:not|never|no|nothing|without|nobody|none|hardly|barely|neither|nor)\b|n[’']t\b",
    "de": r"\b(?:nicht|kein\w*|nie|niemals|ohne|niemand)\b",
    "fr": r"\b(?:ne|pas|jamais|sans|aucun\w*|personne)\b|\bn['’]",
    "es": r"\b(?:no|nunca|jam[áa]s|sin|ning[úu]n\w*|tampoco)\b",
}
_NEGATION_AFTER = {"de": r"^\W*(?:\w+\W+){0,2}?(?:nicht|nie|niemals)\b"}
# A clause ends at punctuation or a contrasting/joining word; negation does not reach across it.
_CLAUSE_BREAK = re.compile(
    r"[.;:!?,()\n]|\b(?:but|however|although|though|yet|and|so|because|aber|und|doch|sondern|mais|et|pero|y)\b",
    re.IGNORECASE,
)


class _Language:
    """One language's rules compiled: a gate of anchor words and each rule's pattern."""

    def __init__(self, code: str, rules: tuple[Rule, ...]) -> None:
        self.code = code
        # Patterns run on the lower-cased text (about twice as fast as IGNORECASE) unless they look at case
        # themselves ("(?-i:...)": "sue" but not "Sue", a capitalised competitor's name).
        self.rules: list[tuple[str, float, re.Pattern, bool]] = []
        for flag, weight, _, pattern in rules:
            cased = "(?-i:" in pattern
            if not cased and re.search(r"(?<!\\)[A-Z]", pattern):
                raise ValueError(f"{code} rule {pattern!r} has capitals: write patterns in lower case")
            self.rules.append((flag, weight, re.compile(pattern, re.IGNORECASE if cased else 0), cased))
        by_anchor: dict[str, set[int]] = {}
        for index, (_, _, anchors, _) in enumerate(rules):
            for anchor in anchors.lower().split("|"):
                by_anchor.setdefault(anchor, set()).add(index)
        # An anchor that starts with a shorter anchor is found through that one: merge so each match is exact.
        self.by_anchor: dict[str, tuple[int, ...]] = {}
        for anchor in sorted(by_anchor, key=len):
            shorter = next((a for a in self.by_anchor if anchor.startswith(a)), None)
            key = shorter or anchor
            self.by_anchor[key] = tuple(sorted(set(self.by_anchor.get(key, ())) | by_anchor[anchor]))
        self.gate = re.compile(r"\b" + _trie_pattern(list(self.by_anchor)))  # run on lower-cased text
        self.negation_before = re.compile(_NEGATION_BEFORE[code], re.IGNORECASE)
        after = _NEGATION_AFTER.get(code)
        self.negation_after = re.compile(after, re.IGNORECASE) if after else None

    def candidates(self, lower: str) -> set[int]:
        """The rules worth trying on a text, from its lower-cased form."""
        found: set[int] = set()
        for anchor in self.gate.findall(lower):
            found.update(self.by_anchor[anchor])
        return found

    def negated(self, text: str, start: int, end: int) -> bool:
        before = _CLAUSE_BREAK.split(text[max(0, start - 60) : start])[-1]
        words = before.split()[-3:]
        if words and self.negation_before.search(" ".join(words)):
            return True
        if self.negation_after is not None:
            after = _CLAUSE_BREAK.split(text[end : end + 40])[0]
            return bool(self.negation_after.search(after))
        return False


_HYPOTHETICAL = re.compile(r"\b(?:if|in case|whether|what happens|should|would)\b", re.IGNORECASE)


def _hypothetical(text: str, start: int) -> bool:
    """A problem asked about rather than reported ("what should I do if an item arrives damaged?")."""
    before = re.split(r"[.;:!?\n]", text[max(0, start - 80) : start])[-1]
    return bool(_HYPOTHETICAL.search(before))


def _trie_pattern(words: list[str]) -> str:
    """A regex matching exactly these literal words, shaped as a trie so that matching stays fast."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not end else "(?:" + "|".join(branches) + ")"
        if end:
            body = (body if body.startswith("(?:") else "(?:" + body + ")") + "?"
        return body

    return build(trie)


_LANGUAGES = {code: _Language(code, rules) for code, rules in RULES.items()}
SUPPORTED = tuple(_LANGUAGES)


def _languages_for(language: str | None) -> tuple[_Language, ...]:
    code = (language or "und").lower().split("-")[0]
    if code == "und":
        return tuple(_LANGUAGES.values())
    if code != "en" and code in _LANGUAGES:
        return (_LANGUAGES["en"], _LANGUAGES[code])
    return (_LANGUAGES["en"],)


def flags(text: str, language: str | None = "en") -> dict[str, Flag]:
    """The flags this text raises, each with a score in (0, 1) and the words that raised it."""
    hits: dict[str, list[tuple[int, int, float, tuple[str, int]]]] = {}
    lower = text.lower()
    same_offsets = len(lower) == len(text)  # lower() can lengthen a few characters ("İ")
    for lang in _languages_for(language):
        for index in lang.candidates(lower):
            flag, weight, pattern, cased = lang.rules[index]
            if not cased and not same_offsets:
                pattern = re.compile(pattern.pattern, re.IGNORECASE)  # rare: keep the original's offsets
            for m in pattern.finditer(text if cased or not same_offsets else lower):
                if m.end() <= m.start() or lang.negated(text, m.start(), m.end()):
                    continue
                if flag == "complaint" and _hypothetical(text, m.start()):
                    continue
                hits.setdefault(flag, []).append((m.start(), m.end(), weight, (lang.code, index)))
    result: dict[str, Flag] = {}
    for flag in NAMES:
        if flag in hits:
            result[flag] = _combine(text, hits[flag])
    parts = [result[name] for name in URGENCY_PARTS if name in result]
    if parts:
        evidence = tuple(dict.fromkeys(e for part in parts for e in part.evidence))[:MAX_EVIDENCE]
        result = {"urgency": Flag(max(p.score for p in parts), evidence), **result}
    return result


def _combine(text: str, hits: list[tuple[int, int, float, tuple[str, int]]]) -> Flag:
    """One flag from its matches: a match inside a longer one adds nothing; each rule counts once."""
    kept: list[tuple[int, int, float, tuple[str, int]]] = []
    for hit in sorted(hits, key=lambda h: (h[0], h[0] - h[1])):
        if not any(k[0] <= hit[0] and hit[1] <= k[1] for k in kept):
            kept.append(hit)
    remaining = 1.0
    weights = {}
    for _, _, weight, rule in kept:
        weights[rule] = weight
    for weight in weights.values():
        remaining *= 1.0 - weight
    evidence = tuple(dict.fromkeys(text[start:end] for start, end, _, _ in kept))[:MAX_EVIDENCE]
    return Flag(round(min(1.0 - remaining, 0.99), 2), evidence)
