"""Patterns the redactor uses: validated regular expressions and spaCy pattern data.

Regular expressions find the identifiers that have a fixed shape (National Insurance
numbers, postcodes, phone numbers, emails, bank details, card numbers, references,
dates of birth, street addresses). Each is checked by a validator where the shape
alone is not enough (the Luhn checksum for card numbers, the official prefix rules
for National Insurance numbers, a digit count for phone numbers).

Person names have no fixed shape, so they are found on spaCy tokens: a trigger
(a title, "my name is", "Dear", a sign-off, "spoke to", "my son", ...) found by a
``PhraseMatcher`` or ``Matcher``, followed by name-like tokens. The word lists below
say which tokens can never be part of a name (benefit and organisation names,
ordinary words, weekdays, months) and which lower-case words are common given names.

Nothing here is compiled into spaCy objects: :mod:`nlp_contact.redact.redactor`
builds those once per ``Redactor``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

ENTITY_TYPES: tuple[str, ...] = (
    "PERSON",
    "NINO",
    "POSTCODE",
    "ADDRESS",
    "PHONE",
    "EMAIL",
    "DOB",
    "SORT_CODE",
    "ACCOUNT_NUMBER",
    "CARD_NUMBER",
    "REFERENCE",
)

# When two candidate spans overlap, the type earlier in this list wins (then the longer).
PRIORITY: tuple[str, ...] = (
    "EMAIL",
    "CARD_NUMBER",
    "NINO",
    "DOB",
    "PHONE",
    "SORT_CODE",
    "ACCOUNT_NUMBER",
    "REFERENCE",
    "POSTCODE",
    "ADDRESS",
    "PERSON",
)


class Match(NamedTuple):
    """A candidate span found by a regular expression."""

    start: int
    end: int
    label: str


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------- #
# Regular expressions
# --------------------------------------------------------------------------- #
_B = r"(?<![A-Za-z0-9])"  # left word boundary that treats digits and letters alike
_E = r"(?![A-Za-z0-9])"

EMAIL_RE = re.compile(
    _B + r"[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}" + _E
)
# Spoken or obfuscated emails: "jane dot smith at gmail dot com".
EMAIL_SPOKEN_RE = re.compile(
    _B + r"[A-Za-z0-9_]+(?:\s*(?:\.|\bdot\b)\s*[A-Za-z0-9_]+)*\s*(?:\(at\)|\[at\]|\bat\b)\s*"
    r"[A-Za-z0-9-]+\s*(?:\.|\bdot\b)\s*(?:com|org|net|co\s*(?:\.|\bdot\b)\s*uk|uk)" + _E,
    re.IGNORECASE,
)

# National Insurance number. Official rules: first letter not D, F, I, Q, U or V; second
# letter not D, F, I, O, Q, U or V; prefixes BG, GB, KN, NK, NT, TN and ZZ never issued;
# suffix A-D (often left out). QQ is accepted as well: it is the prefix of the official
# example number (QQ 12 34 56 C) and test data uses it.
NINO_RE = re.compile(
    _B + r"(?!(?:BG|GB|KN|NK|NT|TN|ZZ))"
    r"(?P<prefix>QQ|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r"[ -]?(?P<digits>\d(?:[ -]?\d){5})"
    r"(?:[ -]?(?P<suffix>[A-D]))?" + _E,
    re.IGNORECASE,
)
NINO_CONTEXT_RE = re.compile(r"\b(?:ni|n\.i\.?|nino|nin|national\s+insurance)\b", re.IGNORECASE)
NINO_CONTEXT_CHARS = 40
# Two-letter words that must not start a NINO when written in lower case or without suffix.
NINO_WORD_PREFIXES = _words(
    "am an as at aw ay be by eh em en er ex go ha he hm ho in is it la lo ma me my na "
    "ne no of oh ok on op or ow pa pm re so to uh um up us we ye yo"
)

# UK postcode: outward code, optional space, inward code (no C, I, K, M, O, V in it).
POSTCODE_RE = re.compile(
    _B + r"(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})" + _E, re.IGNORECASE
)

_PHONE_UK = r"(?:\(0\d{2,5}\)|0\d{2,5})(?:[ -]?\d{2,6}){1,3}"
_PHONE_INTL = r"(?:\+|00)\d{1,3}[ -]?(?:\(0\)[ -]?)?\d{1,5}(?:[ -]?\d{2,5}){1,4}"
PHONE_RE = re.compile(r"(?<![\w+])(?:" + _PHONE_INTL + "|" + _PHONE_UK + r")(?![\d])")

# 13 to 19 digits in groups; kept only when the Luhn checksum passes.
CARD_RE = re.compile(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d{2,6}){2,4}(?![\d-])")

_SORT_TRIGGER = r"\b(?:sort\s*code|s/c)\b"
SORT_CODE_DASH_RE = re.compile(r"(?<![\d-])\d{2}-\d{2}-\d{2}(?![\d-])")
SORT_CODE_CONTEXT_RE = re.compile(
    _SORT_TRIGGER + r"[^\d\n]{0,15}?(?P<value>\d{2}[ -]?\d{2}[ -]?\d{2})(?!\d)", re.IGNORECASE
)

ACCOUNT_CONTEXT_RE = re.compile(
    r"\b(?:account|acc|acct|a/c)\b\.?(?:\s*(?:number|no|num|#)\b\.?)?"
    r"[^\d\n£$.]{0,15}?(?P<value>\d{6,10})(?!\d|[/.-]\d)",
    re.IGNORECASE,
)
# An 8-digit account number given right after a sort code ("30-99-50 and 01987654").
ACCOUNT_AFTER_SORT_RE = re.compile(r"[^\d\n]{0,20}?(?P<value>\d{8})(?!\d|[/.-]\d)")

_REF_TRIGGER = (
    r"\b(?:ref(?:erence)?\b\.?(?:\s*(?:no|number|num|#)\b\.?)?"
    r"|(?:claim|case|customer|complaint|receipt|crn|brp)\s*(?:no|number|num|#)\b\.?"
    r"|crn|brp)"
)
_REF_VALUE = (
    r"(?P<value>(?=[A-Z0-9/-]*\d|[A-Z]+ \d)[A-Z0-9][A-Z0-9/-]*"
    r"(?: \d[A-Z0-9/-]*)*)"
)
REFERENCE_RE = re.compile(
    _REF_TRIGGER + r"\s*[:#-]?\s*(?:(?:is|was|of)\s+)?" + _REF_VALUE + _E, re.IGNORECASE
)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?P<value>\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTHS + r",?\s+\d{4}"
    r"|" + _MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|" + _MONTHS + r"\s+\d{4}"
    r"|(?<=in )(?:19|20)\d{2})"
)
_DOB_TRIGGER = r"(?:\bdate\s+of\s+birth\b|\bd\.?\s?o\.?\s?b\b\.?|\bborn\b|\bbirthday\b)"
# The date may follow on the next turn of a dialogue ("...date of birth?\nCustomer: 22/10/1991").
_DOB_GAP = r"[^\d.!?\n]{0,30}?(?:\?[^\d\n]{0,25}\n[^\d\n:]{0,25}:\s*)?"
DOB_RE = re.compile(_DOB_TRIGGER + _DOB_GAP + _DATE + r"(?!\d)", re.IGNORECASE)

_STREET_SUFFIXES = (
    "Street St Road Rd Avenue Ave Lane Ln Close Drive Way Crescent Cres Court Ct Place "
    "Gardens Gdns Grove Terrace Hill Park Square Sq Walk Mews Row View Rise Green Parade "
    "Vale Meadow Meadows Fields Wharf Boulevard Brow Chase Croft Gate Yard Approach "
    "Paddocks Wynd Circus Quay Heights Hollow Broadway Causeway Dale Glade Garth Lea Mount "
    "Nook Orchard Passage Ridge Drove Copse Leys Villas Cottages Buildings"
)
_STRONG_SUFFIXES = "street road avenue lane drive close crescent gardens grove terrace"
_FLAT = r"(?:(?:flat|apartment|apt|unit)\s*\d{1,4}[A-Za-z]?,?\s+)?"
_HOUSE_NO = r"(?<![£$\d.,:/])\d{1,4}[A-Za-z]?(?:-\d{1,4})?,?\s+"
ADDRESS_RE = re.compile(
    _FLAT
    + _HOUSE_NO
    + r"(?:(?:St\.?|[A-Z][A-Za-z'’]+(?:-[A-Z][a-z]+)?)\s+){1,3}(?:"
    + "|".join(_STREET_SUFFIXES.split())
    + r")\b\.?(?![A-Za-z'’-])"
)
ADDRESS_LOWER_RE = re.compile(
    _FLAT
    + _HOUSE_NO
    + r"(?P<words>(?:[a-z][a-z'’]+\s+){1,3})(?:"
    + "|".join(_STRONG_SUFFIXES.split())
    + r")\b",
    re.IGNORECASE,
)
# Welsh street names put the street word first: "2 Heol y Coed".
ADDRESS_WELSH_RE = re.compile(
    _HOUSE_NO + r"(?:Heol|Ffordd|Stryd|Lôn|Lon|Rhodfa|Cilgant)(?:\s+(?:[A-Z][a-z]+|y|yr|the)){1,3}"
)


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum used by payment cards.

    Args:
        digits: The card number, digits only.

    Returns:
        True when the checksum is valid.
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _nino_ok(m: re.Match[str], text: str) -> bool:
    prefix, suffix = m.group("prefix"), m.group("suffix")
    if suffix:
        return not (prefix.islower() and prefix.lower() in NINO_WORD_PREFIXES)
    # Without its suffix letter the shape is common (registration numbers, references):
    # only taken when "NI", "NINO" or "national insurance" comes shortly before.
    window = text[max(0, m.start() - NINO_CONTEXT_CHARS) : m.start()]
    return prefix.lower() not in NINO_WORD_PREFIXES and bool(NINO_CONTEXT_RE.search(window))


def _phone_ok(text: str) -> bool:
    digits = _digits(text.replace("(0)", ""))
    if text.startswith("+"):
        return 8 <= len(digits) <= 15
    if text.startswith("00"):
        return 11 <= len(digits) <= 17
    return 10 <= len(digits) <= 11


def _card_ok(text: str) -> bool:
    digits = _digits(text)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _ref_ok(value: str) -> bool:
    return sum(ch.isdigit() for ch in value) >= 3 and len(value) >= 4


def _group(m: re.Match[str], label: str, group: str = "value") -> Match:
    return Match(m.start(group), m.end(group), label)


def _simple(pattern: re.Pattern[str], label: str, text: str) -> Iterator[Match]:
    for m in pattern.finditer(text):
        yield Match(m.start(), m.end(), label)


def find_emails(text: str) -> Iterator[Match]:
    """Emails, written normally or spelt out ("jane dot smith at gmail dot com")."""
    yield from _simple(EMAIL_RE, "EMAIL", text)
    if " at " in text or "(at)" in text or "[at]" in text:
        yield from _simple(EMAIL_SPOKEN_RE, "EMAIL", text)


def find_ninos(text: str) -> Iterator[Match]:
    """National Insurance numbers in any spacing and case."""
    for m in NINO_RE.finditer(text):
        if _nino_ok(m, text):
            yield Match(m.start(), m.end(), "NINO")


def find_postcodes(text: str) -> Iterator[Match]:
    """Full UK postcodes, with or without the space."""
    yield from _simple(POSTCODE_RE, "POSTCODE", text)


def find_phones(text: str) -> Iterator[Match]:
    """UK phone numbers (10 or 11 digits from 0) and international ones (+ or 00)."""
    for m in PHONE_RE.finditer(text):
        if _phone_ok(m.group()):
            yield Match(m.start(), m.end(), "PHONE")


def find_cards(text: str) -> Iterator[Match]:
    """Payment card numbers that pass the Luhn checksum."""
    for m in CARD_RE.finditer(text):
        if _card_ok(m.group()):
            yield Match(m.start(), m.end(), "CARD_NUMBER")


def find_bank_details(text: str) -> Iterator[Match]:
    """Sort codes (12-34-56 anywhere; other spacings after "sort code") and account numbers."""
    sort_codes = [Match(m.start(), m.end(), "SORT_CODE") for m in SORT_CODE_DASH_RE.finditer(text)]
    sort_codes += [_group(m, "SORT_CODE") for m in SORT_CODE_CONTEXT_RE.finditer(text)]
    yield from sort_codes
    for m in ACCOUNT_CONTEXT_RE.finditer(text):
        yield _group(m, "ACCOUNT_NUMBER")
    for sc in sort_codes:
        after = ACCOUNT_AFTER_SORT_RE.match(text, sc.end)
        if after:
            yield _group(after, "ACCOUNT_NUMBER")


def find_references(text: str) -> Iterator[Match]:
    """Claim, case, customer and other reference numbers after a "ref"-like word."""
    for m in REFERENCE_RE.finditer(text):
        if _ref_ok(m.group("value")):
            yield _group(m, "REFERENCE")


def find_dobs(text: str) -> Iterator[Match]:
    """Dates that the context says are dates of birth."""
    for m in DOB_RE.finditer(text):
        yield _group(m, "DOB")


# Words that cannot be part of a lower-case street name ("10 minutes down the road").
FUNCTION_WORDS = _words(
    "a an the and or but of to in on at for with by from into onto up down over under "
    "my your his her its our their this that these those some any few more most all "
    "minutes hours days weeks months years times pounds children kids people miles"
)


def _address_words_ok(m: re.Match[str]) -> bool:
    words = m.group("words").lower().split()
    return not any(w in FUNCTION_WORDS or w in COMMON_WORDS for w in words)


def find_addresses(text: str) -> Iterator[Match]:
    """Street addresses: optional flat, house number, street name and street word."""
    yield from _simple(ADDRESS_RE, "ADDRESS", text)
    yield from _simple(ADDRESS_WELSH_RE, "ADDRESS", text)
    for m in ADDRESS_LOWER_RE.finditer(text):
        if _address_words_ok(m):
            yield Match(m.start(), m.end(), "ADDRESS")


FINDERS = {
    "EMAIL": find_emails,
    "NINO": find_ninos,
    "POSTCODE": find_postcodes,
    "PHONE": find_phones,
    "CARD_NUMBER": find_cards,
    "SORT_CODE": find_bank_details,
    "ACCOUNT_NUMBER": find_bank_details,
    "REFERENCE": find_references,
    "DOB": find_dobs,
    "ADDRESS": find_addresses,
}


# --------------------------------------------------------------------------- #
# Word lists for person names (all lower case)
# --------------------------------------------------------------------------- #
# Titles before a name. After these a capitalised word is taken as a name.
TITLES = _words(
    "mr mrs ms miss mx dr prof professor sir dame lord lady rev revd reverend cllr "
    "councillor rt hon major captain capt col colonel sgt master mstr"
)
# Titles after which a lower-case word is taken as a name too ("spoke to mrs smith").
LOWER_NAME_TITLES = _words("mr mrs ms mx")

# Trigger phrases, by strength. "strong": whatever name-like word follows is a name,
# even in lower case when it is not an ordinary word. "medium": a capitalised word that
# is not an ordinary word, or a lower-case common given name.
INTRO_PHRASES = (
    "my name is",
    "my name's",
    "name is",
    "name's",
    "name was",
    "name as",
    "names is",
    "full name",
    "gave name",
    "name given as",
    "name:",
    "is called",
    "was called",
    "named",
    "known as",
)
MEDIUM_PHRASES = (
    "name",
    "i am",
    "i'm",
    "im",
    "this is",
    "it is",
    "it's",
    "its",
    "dear",
    "hi",
    "hello",
    "spoke to",
    "spoke with",
    "speaking to",
    "speaking with",
    "talked to",
    "talking to",
    "told by",
    "seen by",
    "helped by",
    "dealt with by",
    "thank",
    "thanks",
    "thank you",
    "thank you so much",
    "thanks so much",
    "thank you to",
    "thanks to",
    "lady called",
    "man called",
    "woman called",
    "gentleman called",
    "guy called",
    "bloke called",
    "chap called",
    "girl called",
    "boy called",
    "someone called",
    "somebody called",
    "person called",
    "lady named",
    "man named",
    "woman named",
    "someone named",
)
SIGNOFF_PHRASES = (
    "yours sincerely",
    "yours faithfully",
    "yours truly",
    "kind regards",
    "best regards",
    "warm regards",
    "warmest regards",
    "many thanks",
    "regards",
    "best wishes",
    "all the best",
    "sincerely",
    "cheers",
    "thanks",
    "thank you",
    "love",
    "signed",
)
# Role words; a name may follow directly ("my son Daniel", "cust jane smith").
ROLE_WORDS = _words(
    "cust customer customers claimant claimants client caller appointee partner wife "
    "husband son daughter mum mother dad father brother sister niece nephew grandson "
    "granddaughter nan nana grandma grandmother grandad grandfather friend neighbour "
    "girlfriend boyfriend fiance fiancee landlord landlady tenant carer baby child "
    "constituent patient uncle aunt auntie cousin stepson stepdaughter stepmum stepdad "
    "colleague advisor adviser coach wc agent manager leader supervisor receptionist "
    "assessor caseworker officer interpreter translator representative rep "
    "solicitor worker nurse gp doctor consultant councillor mp"
)

# A capitalised word followed by one of these, or a run of capitalised words that
# contains one, names a place or an organisation ("Leeds City Council", "Lambeth Law
# Centre", "Barnes Okafor Solicitors"), not a person.
ORG_FOLLOWERS = _words(
    "city council borough county district metropolitan jobcentre job centre hospital "
    "university college school academy bank building housing office station airport "
    "library police law citizens benefit benefits service services surgery practice "
    "trust nhs group association foundation charity ltd limited plc & co solicitors "
    "associates"
)

# Never part of a name: benefits, organisations, services (matched as phrases).
KEEP_PHRASES = (
    "universal credit",
    "uc",
    "pip",
    "personal independence payment",
    "esa",
    "employment and support allowance",
    "new style esa",
    "new style jsa",
    "jsa",
    "jobseeker's allowance",
    "jobseekers allowance",
    "carer's allowance",
    "carers allowance",
    "housing benefit",
    "pension credit",
    "state pension",
    "attendance allowance",
    "disability living allowance",
    "dla",
    "child benefit",
    "tax credits",
    "working tax credit",
    "child tax credit",
    "council tax reduction",
    "bereavement support payment",
    "maternity allowance",
    "winter fuel payment",
    "cold weather payment",
    "budgeting advance",
    "advance payment",
    "cost of living payment",
    "social fund",
    "flexible support fund",
    "access to work",
    "special rules",
    "work capability assessment",
    "mandatory reconsideration",
    "dwp",
    "department for work and pensions",
    "hmrc",
    "jobcentre",
    "jobcentre plus",
    "job centre",
    "job centre plus",
    "citizens advice",
    "citizens advice bureau",
    "cab",
    "service centre",
    "pension service",
    "debt management",
    "child maintenance service",
    "child maintenance",
    "cms",
    "complaint resolution team",
    "crt",
    "independent case examiner",
    "ombudsman",
    "tribunal",
    "hmcts",
    "nhs",
    "gp",
    "dvla",
    "motability",
    "maximus",
    "capita",
    "atos",
    "shelter",
    "women's aid",
    "age uk",
    "macmillan",
    "acas",
    "action fraud",
    "tv licensing",
    "post office",
    "royal mail",
    "credit union",
    "food bank",
    "law centre",
    "st mungo's",
    "barclays",
    "lloyds",
    "natwest",
    "hsbc",
    "santander",
    "nationwide",
    "halifax",
    "monzo",
    "starling",
    "tsb",
    "vodafone",
    "tesco",
    "amazon",
    "asda",
    "iphone",
    "android",
    "outlook",
    "gmail",
    "council",
    "the council",
)

WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)

# Ordinary words seen in contact notes, never taken as a name after a medium trigger
# or as the next word of a name (spaCy's stop words are added to this by the redactor).
COMMON_WORDS = (
    _words(
        "customer customers cust claimant caller client agent advisor adviser manager team "
        "leader staff member officer worker coach decision maker sir sirs madam hi hello hey "
        "dear thanks thank regards please yes no ok okay sorry today tomorrow yesterday "
        "tonight morning afternoon evening night good great lovely happy unhappy upset angry "
        "very really called calling rang ringing phoned phoning spoke speaking said says "
        "state states stated advised explained confirmed asked asking told wants wanted "
        "needs needed agreed attended reported reporting requested sent received passed "
        "referred escalated apologised checked chased gave given paid payment payments "
        "claim claims benefit benefits letter letters form forms account journal online "
        "appointment appt ref reference number mobile phone tel email address postcode name "
        "date birth dob ni nino national insurance sort code bank card flat house street "
        "road note notes call back again also just still now then re regarding about cc "
        "fyi ps nb urgent complaint compliment feedback issue query request update change "
        "new old same other another first second third last next senior junior jr sr "
        "family children kids office centre center service services department unit "
        "support help helpline line chat webchat anytime everyone someone somebody anyone "
        "nobody congratulations welcome attached enclosed subject sent from to "
        "cust's customer's ltd limited plc uk gov british english scottish welsh irish "
        "polish muslim christian hindu sikh jewish disabled single married divorced "
        "widowed pregnant unemployed retired self employed student carer interpreter "
        "concerned confused worried distressed tearful grateful pleased satisfied "
        "happy annoyed frustrated calm rude helpful polite understood declined accepted "
        "came went left moved started stopped lost found wanted waiting waited unable "
        "able ready sure glad afraid well fine ill sick poorly late early soon yet "
        "rtc cb adv advd ph txt tx pls plz thx info gdpr id dpa verified passed failed "
        "security questions answered done completed open closed pending awaiting "
        "attempted tried left voicemail vm msg message text letters evidence documents "
        "payslips statements decision award entitlement rate amount overpayment debt "
        "deduction sanction advance arrears rent council tax appeal reconsideration "
        "assessment review interview meeting visit home hospital surgery doctor nurse "
        "gp police court school college work job employer wages pension allowance "
        "credit credits scheme grant loan fund maker unit section area region "
        "north south east west city town village county borough ward "
        "everything nothing something anything hope faith spelt spelled wrong correct right "
        "incorrect different missing changed thankyou yesterdays todays chief executive "
        "director secretary minister chair chairman chairperson president head deputy"
    )
    | WEEKDAYS
    | MONTHS
)

# Ordinary words that never continue a name even after a title ("Mrs Smith Customer").
NOT_SURNAMES = (
    _words(
        "customer cust claimant caller client agent advisor adviser team mp rang called flat "
        "house apartment road street lane avenue solicitors council"
    )
    | WEEKDAYS
    | MONTHS
)

# Common given names, used for lower-case names after a medium trigger ("spoke to gary")
# and for capitalised names with no trigger at all ("Sharon was lovely").
GIVEN_NAMES = _words(
    "aaron abdul abdullah abigail adam adrian ahmed aidan aimee aisha alan albert alex "
    "alexander alexandra alfie alice alison amanda amber amelia amir amy andrea andrew "
    "andrzej angela anita ann anna anne annette anthony antonio archie arthur ashley "
    "aston barbara barry beatrice ben benjamin bernard beth bethan betty beverley "
    "billy bogdan brandon brenda brian bridget callum cameron carl carla carmel carol "
    "caroline carys catherine charlene charles charlie charlotte chelsea chloe "
    "chris christina christine christopher claire clare clive colin connor craig "
    "cynthia dale damian damien daniel danielle darren darryl daryl dave david dawn dean "
    "debbie deborah declan denise dennis derek diana diane dominic donna doreen doris "
    "dorothy douglas duncan dylan eamonn edward eileen elaine eleanor elizabeth ella "
    "ellie elliot emily emma eric ethan evelyn farah fatima fiona frances francesca "
    "freddie gail gareth gary gavin gemma geoffrey george georgia gerald geraldine "
    "gillian glenn gordon graham greg gregory hamza hannah harriet harrison harry "
    "harvey hassan hayley heidi helen henry hilary hollie howard hussain ian imran "
    "irene isaac isabel isabella isla jacob jacqueline jade jake james jamie jan jane "
    "janet janice jason jasmine jayden jean jeff jeffrey jenna jennifer jenny jeremy "
    "jessica jill joan joanna joanne joe joel john johnny jon jonathan jordan joseph "
    "josephine joshua joyce judith judy julia julie june justin kamal karen karl kate "
    "katherine kathleen kathryn katie kayleigh keith kelly kenneth kerry kevin kieran "
    "kim kirsty kyle laura lauren lee leah leanne leo leon lesley leslie lewis liam "
    "linda lindsay lisa logan lorraine louis louise lucy luke lynn lynne madison "
    "maria marie marion marjorie martin mary mason matthew maureen megan melanie "
    "melissa michael michelle mohamed mohammad mohammed muhammad mustafa nadia "
    "naomi natalie natasha nathan neil nicholas nicola nicole nigel noah norma "
    "norman oliver olivia oscar owen pamela patricia patrick paul paula pauline "
    "peter philip phillip piotr priya rachel rebecca reece rhys richard rita robert "
    "roger ronald rosemary ross ruth ryan sadie sally samantha samuel sandra sarah "
    "scott sean shabana shane shannon sharon shaun sheila shirley simon sian siobhan "
    "sophie stacey stanley stephanie stephen steve steven stuart susan suzanne "
    "tanya tara teresa terence terry thomas tiffany tina toby tom tomasz tony tracey "
    "tracy trevor valerie vanessa victoria vincent wayne wendy william yasmin yvonne "
    "zainab zara zoe"
)
# Given names that are also ordinary words: never taken without a trigger.
AMBIGUOUS_NAMES = _words(
    "will may mark grace faith hope joy bill rose summer april june august jack guy pat "
    "sue rob art dawn sky amber ruby holly ivy hazel iris lily poppy daisy heather violet "
    "crystal angel dean frank gene max ray eve kay jean chance carol robin bob sandy rich "
    "penny ken cliff drew glen heath lance miles page pearl sunny stone norman lee "
    "jan dale"
)
