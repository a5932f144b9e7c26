"""Check hand-written labelled JSONL files against the default taxonomy's rules.

Usage: python training/check_labelled.py FILE [FILE ...]
Prints every problem with file, line and field, then label counts per head.
"""

from __future__ import annotations

import collections
import json
import sys

HEADS = {
    "contact_reason": {
        "new_claim",
        "provide_information",
        "progress_chasing",
        "payment_query",
        "change_of_circumstances",
        "appointment",
        "eligibility_advice",
        "overpayment_debt",
        "feedback",
        "access_support",
        "other",
    },
    "value_status": {"value", "avoidable"},
    "avoidable_reason": {
        "not_avoidable",
        "progress_chasing",
        "repeat_contact",
        "clarification",
        "misdirected",
        "service_failure",
    },
    "feedback_type": {"none", "issue", "complaint", "compliment", "suggestion"},
}
FLAGS = ("staff_behaviour", "third_party", "vulnerability")
CHANNELS = {"phone", "letter", "email", "face_to_face", "webchat"}


def check_record(rec: dict) -> list[str]:
    problems = []
    if not isinstance(rec.get("text"), str) or not rec["text"].strip():
        problems.append("text: missing or empty")
    if rec.get("channel") not in CHANNELS:
        problems.append(f"channel: {rec.get('channel')!r} not in {sorted(CHANNELS)}")
    for head, allowed in HEADS.items():
        if rec.get(head) not in allowed:
            problems.append(f"{head}: {rec.get(head)!r} not in {sorted(allowed)}")
    for flag in FLAGS:
        if not isinstance(rec.get(flag), bool):
            problems.append(f"{flag}: {rec.get(flag)!r} is not true/false")
    if (rec.get("value_status") == "value") != (rec.get("avoidable_reason") == "not_avoidable"):
        problems.append("avoidable_reason must be not_avoidable exactly when value_status is value")
    return problems


def main(paths: list[str]) -> int:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    ids: set[str] = set()
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    print(f"{path}:{lineno}: not JSON: {exc}")
                    bad += 1
                    continue
                problems = check_record(rec)
                if rec.get("id") in ids:
                    problems.append(f"id: duplicate {rec.get('id')!r}")
                ids.add(rec.get("id"))
                for p in problems:
                    print(f"{path}:{lineno}: {p}")
                bad += bool(problems)
                for head in (*HEADS, *FLAGS, "channel"):
                    counts[head][str(rec.get(head))] += 1
    for head, counter in counts.items():
        print(head, dict(counter.most_common()))
    print(f"records: {len(ids)}, with problems: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
