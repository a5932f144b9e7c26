"""Behavioural tests of the shipped model (models/default): minimum functionality and
invariance. Clear cases written for these tests, not taken from any training or dev file."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp_contact import ContactClassifier

MODEL = Path(__file__).resolve().parents[2] / "models" / "default"
pytestmark = [
    pytest.mark.skipif(not MODEL.is_dir(), reason="models/default not built"),
    # the shipped model may be older than the installed libraries; the warning is tested
    # in tests/unit/test_classifier.py
    pytest.mark.filterwarnings("ignore::nlp_contact.artifacts.VersionMismatchWarning"),
]


@pytest.fixture(scope="module")
def clf() -> ContactClassifier:
    return ContactClassifier.load(MODEL)


# (text, head, expected label)
MINIMUM_FUNCTIONALITY = [
    (
        "I would like to apply for Universal Credit, how do I make a claim?",
        "contact_reason",
        "new_claim",
    ),
    (
        "Cust wants to start a new claim for PIP, claim form requested.",
        "contact_reason",
        "new_claim",
    ),
    (
        "Please find enclosed the payslips you asked me to send for my claim.",
        "contact_reason",
        "provide_information",
    ),
    (
        "Cust rang to give the bank statements requested by the DM, uploaded to journal.",
        "contact_reason",
        "provide_information",
    ),
    (
        "My payment was due last Friday and it still has not arrived in my account.",
        "contact_reason",
        "progress_chasing",
    ),
    (
        "Cust chasing PIP decision, applied 16 weeks ago, no update.",
        "contact_reason",
        "progress_chasing",
    ),
    (
        "Why has my Universal Credit gone down this month? I don't understand the deduction.",
        "contact_reason",
        "payment_query",
    ),
    (
        "Cust querying amount of UC pmt, thinks the housing element is wrong.",
        "contact_reason",
        "payment_query",
    ),
    (
        "I am writing to let you know I have moved house. My new address is below.",
        "contact_reason",
        "change_of_circumstances",
    ),
    (
        "Cust reporting CoC: started part time work at Tesco, 16 hrs a week.",
        "contact_reason",
        "change_of_circumstances",
    ),
    (
        "I need to rearrange my appointment at the Jobcentre next Tuesday as I have a hospital visit.",
        "contact_reason",
        "appointment",
    ),
    ("Cust rang to rebook WCA appt, can't attend the date given.", "contact_reason", "appointment"),
    (
        "Am I entitled to Pension Credit if I have savings of 12,000 pounds?",
        "contact_reason",
        "eligibility_advice",
    ),
    (
        "Cust asking whether she can claim Carer's Allowance while studying part time. Adv'd on rules.",
        "contact_reason",
        "eligibility_advice",
    ),
    (
        "I got a letter saying I have been overpaid and must pay it back. I can't afford the repayments.",
        "contact_reason",
        "overpayment_debt",
    ),
    (
        "Cust rang re overpayment recovery, wants to reduce deductions from UC, referred to Debt Management.",
        "contact_reason",
        "overpayment_debt",
    ),
    (
        "I want to make a formal complaint about the way I was treated by your staff.",
        "contact_reason",
        "feedback",
    ),
    (
        "I just wanted to write and say thank you to the lady who helped me, she was wonderful.",
        "contact_reason",
        "feedback",
    ),
    (
        "I can't log in to my online journal, it keeps saying my password is wrong.",
        "contact_reason",
        "access_support",
    ),
    (
        "Cust needs letters in large print due to sight loss, and asked for a home visit.",
        "contact_reason",
        "access_support",
    ),
    ("Wrong number, caller wanted the council about bin collections.", "contact_reason", "other"),
    (
        "Thank you so much, the work coach was brilliant and really kind to me.",
        "feedback_type",
        "compliment",
    ),
    (
        "I want to complain formally and I want this escalated to the Complaint Resolution Team.",
        "feedback_type",
        "complaint",
    ),
    (
        "Cust unhappy that the call back didn't happen, apologised and arranged it now, cust satisfied.",
        "feedback_type",
        "issue",
    ),
    (
        "It would be much better if you sent text reminders before appointments. Just an idea.",
        "feedback_type",
        "suggestion",
    ),
    ("Please find my new address below. I am moving on Monday.", "feedback_type", "none"),
    ("Please find my new address below. I am moving on Monday.", "value_status", "value"),
    (
        "This is the third time I have called about my missing payment, nobody has sorted it.",
        "value_status",
        "avoidable",
    ),
    (
        "This is the third time I have called about my missing payment, nobody has sorted it.",
        "avoidable_reason",
        "repeat_contact",
    ),
    (
        "I don't understand the letter you sent me about my award, what does it mean?",
        "avoidable_reason",
        "clarification",
    ),
    (
        "You have lost my documents again and the amount you paid me is wrong because of your mistake.",
        "avoidable_reason",
        "service_failure",
    ),
    (
        "I was told to ring you by HMRC but you say it's a tax credits matter and I should call them back.",
        "avoidable_reason",
        "misdirected",
    ),
]

# (text, flag, expected value)
FLAG_CASES = [
    ("The adviser was rude, shouted at me and put the phone down on me.", "staff_behaviour", True),
    ("The adviser was brilliant and really helpful, please thank her.", "staff_behaviour", False),
    (
        "I am writing on behalf of my constituent, Mrs Green, regarding her PIP claim.",
        "third_party",
        True,
    ),
    ("I am writing about my own PIP claim, which I made in March.", "third_party", False),
    (
        "I have not eaten for three days and have no gas or electric on the meter.",
        "vulnerability",
        True,
    ),
    (
        "Cust said she has nowhere to live and has been sleeping on friends' sofas, feels better off not here.",
        "vulnerability",
        True,
    ),
    ("I am moving house next month and want to update my address.", "vulnerability", False),
]


@pytest.mark.parametrize(("text", "head", "label"), MINIMUM_FUNCTIONALITY)
def test_minimum_functionality_heads(
    clf: ContactClassifier, text: str, head: str, label: str
) -> None:
    pred = clf.predict([text])[0]
    assert pred.heads[head].label == label, pred.heads[head].top


@pytest.mark.parametrize(("text", "flag", "value"), FLAG_CASES)
def test_minimum_functionality_flags(
    clf: ContactClassifier, text: str, flag: str, value: bool
) -> None:
    pred = clf.predict([text])[0]
    assert pred.flags[flag].value is value, pred.flags[flag]


def test_every_label_is_covered_by_a_case(clf: ContactClassifier) -> None:
    covered = {(h, label) for _, h, label in MINIMUM_FUNCTIONALITY}
    for head in ("contact_reason", "feedback_type", "avoidable_reason", "value_status"):
        for label in clf.taxonomy_.heads[head].label_names:
            if (head, label) == ("avoidable_reason", "not_avoidable"):
                continue
            if (head, label) == ("avoidable_reason", "progress_chasing"):
                continue  # implied by the progress_chasing contact_reason cases
            assert (head, label) in covered, (head, label)


INVARIANCE = [
    ("Mrs {name} rang on {date} chasing her PIP decision, ref {ref}.",),
    (
        "Dear Sir, I am writing on behalf of my mother {name} (NI {nino}) about her Pension Credit claim.",
    ),
    ("Cust {name} reporting change of address from {date}, new tenancy ref {ref}.",),
    ("I want to complain about {name} at the Jobcentre who was rude to me on {date}.",),
    ("Hi its {name}, where is my UC payment it was due {date}, claim ref {ref}",),
]
FILLERS = [
    {"name": "Sarah Jones", "date": "12/03/2024", "ref": "UC123456", "nino": "QQ 12 34 56 C"},
    {"name": "Mohammed Iqbal", "date": "3rd June 2025", "ref": "AB-998877", "nino": "QQ987654A"},
    {"name": "Agnieszka Nowak", "date": "01.11.23", "ref": "7788-1122", "nino": "QQ 55 66 77 B"},
]


@pytest.mark.parametrize("template", [t[0] for t in INVARIANCE])
def test_names_dates_and_references_do_not_flip_any_head(
    clf: ContactClassifier, template: str
) -> None:
    preds = clf.predict([template.format(**f) for f in FILLERS])
    for head in clf.taxonomy_.head_names:
        labels = {p.heads[head].label for p in preds}
        assert len(labels) == 1, (head, labels)
