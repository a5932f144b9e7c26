"""Which numbers the report computes, read from the taxonomy's ``report:`` section.

Every number is a *cell*: the share (or count) of contacts with an ``event`` among
all contacts, among those ``within`` a predicted group, or per value of an observed
column (channel, period). No label is named here; they all come from the taxonomy.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp_contact.errors import TaxonomyError
from nlp_contact.report._columns import Quantity
from nlp_contact.taxonomy import ReportSpec, Taxonomy

ALL = "all"
SHARE = "share"
COUNT = "count"


@dataclass(frozen=True)
class Cell:
    """One measure's recipe.

    Attributes:
        measure: the measure's name in the report.
        group: the group's name; None when the groups are an observed column's values.
        event: the property counted.
        within: the predicted group the share is taken within (None: all contacts).
        implies: the event implies ``within`` (an avoidable reason implies avoidable).
        by: the observed column grouping the contacts (``channel`` or ``period``).
        kind: ``share`` or ``count``.
    """

    measure: str
    group: str | None
    event: Quantity
    within: Quantity | None = None
    implies: bool = False
    by: str | None = None
    kind: str = SHARE

    @property
    def audit_mode(self) -> str | None:
        """How the audit corrects it: ``single`` (one quantity), ``ratio`` or None."""
        if self.within is None:
            return "single"
        return "ratio" if self.implies else None


def report_spec(tax: Taxonomy) -> ReportSpec:
    """The taxonomy's ``report:`` section, checked against its heads, flags and values."""
    spec = tax.report
    if spec is None:
        raise TaxonomyError(
            f"Taxonomy '{tax.name}' has no 'report:' section, so the report does not know "
            "which head holds the avoidable/value split or what to count. Add one (see the "
            "'report:' section of nlp_contact/default_taxonomy.yaml)."
        )
    for field in ("value_head", "reason_head", "avoidable_reason_head", "feedback_head"):
        head = getattr(spec, field)
        if head is not None and head not in tax.heads:
            raise TaxonomyError(
                f"report.{field} names '{head}', which is not a head of taxonomy '{tax.name}' "
                f"(heads: {tax.head_names})."
            )
    if spec.value_head is not None:
        _check_labels(tax, spec.value_head, [spec.avoidable_label or ""], "report.avoidable_label")
    for head, labels in spec.count_labels.items():
        if head not in tax.heads:
            raise TaxonomyError(f"report.count_labels names '{head}', which is not a head.")
        _check_labels(tax, head, labels, f"report.count_labels.{head}")
    for flag in spec.count_flags:
        if flag not in tax.flags:
            raise TaxonomyError(
                f"report.count_flags names '{flag}', which is not a flag ({tax.flag_names})."
            )
    for name, values in spec.count_derived.items():
        _check_derived(tax, name, values)
    return spec


def _check_labels(tax: Taxonomy, head: str, labels: list[str], where: str) -> None:
    allowed = tax.heads[head].label_names
    for label in labels:
        if label not in allowed:
            raise TaxonomyError(f"{where} names '{label}', not a label of '{head}' ({allowed}).")


def _check_derived(tax: Taxonomy, name: str, values: list[str]) -> None:
    if name not in tax.derived:
        raise TaxonomyError(
            f"report.count_derived names '{name}', which is not a derived value "
            f"({list(tax.derived)})."
        )
    spec = tax.derived[name]
    possible = {r.value for r in spec.rules} | {spec.default}
    for v in values:
        if v not in possible:
            raise TaxonomyError(
                f"report.count_derived.{name} names '{v}', which no rule gives "
                f"({sorted(possible)})."
            )


def avoidable_reasons(tax: Taxonomy, spec: ReportSpec) -> tuple[list[str], bool]:
    """The reason head's labels that explain avoidable contact, and whether each of them
    implies the avoidable label (from a constraint tying the two heads)."""
    vh, rh, avoid = spec.value_head, spec.avoidable_reason_head, spec.avoidable_label
    assert vh is not None and rh is not None
    labels = tax.heads[rh].label_names
    for c in tax.constraints:
        for h1, l1, h2, l2 in (
            (c.head, c.label, c.iff_head, c.iff_label),
            (c.iff_head, c.iff_label, c.head, c.label),
        ):
            if h1 != vh or h2 != rh:
                continue
            if l1 == avoid:
                return [l2], True
            if len(tax.heads[vh].labels) == 2:
                return [lab for lab in labels if lab != l2], True
    return labels, False


def plan_cells(tax: Taxonomy, spec: ReportSpec, by: list[str]) -> list[Cell]:
    """Every cell of the report, in the order it is shown."""
    cells: list[Cell] = []
    if spec.value_head is not None and spec.avoidable_label is not None:
        cells += _avoidable_cells(tax, spec, by)
    counted = [Quantity(h, lab) for h, labels in spec.count_labels.items() for lab in labels]
    counted += [Quantity(f) for f in spec.count_flags]
    counted += [Quantity(d, v) for d, values in spec.count_derived.items() for v in values]
    cells += [Cell(COUNT, q.name, q, kind=COUNT) for q in counted]
    cells += [Cell(SHARE, q.name, q) for q in counted]
    return cells


def _avoidable_cells(tax: Taxonomy, spec: ReportSpec, by: list[str]) -> list[Cell]:
    avoid = str(spec.avoidable_label)
    event = Quantity(str(spec.value_head), avoid)
    cells = [Cell(f"{avoid}_share", ALL, event)]
    if spec.reason_head is not None:
        rh = spec.reason_head
        cells += [
            Cell(f"{avoid}_share_by_{rh}", lab, event, within=Quantity(rh, lab))
            for lab in tax.heads[rh].label_names
        ]
    cells += [Cell(f"{avoid}_share_by_{column}", None, event, by=column) for column in by]
    if spec.avoidable_reason_head is not None:
        arh = spec.avoidable_reason_head
        reasons, implies = avoidable_reasons(tax, spec)
        cells += [Cell(f"{arh}_share", lab, Quantity(arh, lab)) for lab in reasons]
        cells += [
            Cell(f"{arh}_share_of_{avoid}", lab, Quantity(arh, lab), within=event, implies=implies)
            for lab in reasons
        ]
    return cells
