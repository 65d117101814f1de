"""The shapes of what the due-process steps hand back and write to the ledger, as `TypedDict`s.

Each step (publicity 公示, objection 异议, credit repair 信用修复, discard, expiry) writes a
ledger payload and returns it with the run or record it concerns; the CLI and the API print
or answer it as it is. A `TypedDict` is a plain `dict` at run time, so the canonical JSON the
ledger hashes is unchanged (`ledger.record_hash`). Dates are ISO strings, as in the ledger.
No `from __future__ import annotations`: TypedDict reads `NotRequired` from evaluated
annotations.
"""

from typing import Any, NotRequired, TypedDict

from rating.calendar import CalendarRecord
from rating.engine.shapes import Provenance


class ExportProvenance(Provenance):
    """What an exported file says of itself (`export.provenance`): the run's provenance, its
    status and watermark, and when and by which engine the file was written."""

    status: str
    watermark: int
    exported_at: str  # ISO time, to the second
    exported_by: str  # property-credit-rating <version>


class DiffExample(TypedDict):
    """A row that differs between two result sets: its key text and what differs."""

    key: str  # the row's key columns joined with " | "
    only_left: bool
    only_right: bool
    changed: list[str]  # value columns that differ (rows on both sides)


class DiffCounts(TypedDict):
    """Rows of one result table only in the original, only in the replay, and changed."""

    only_in_original: int
    only_in_replay: int
    changed: int
    examples: list[DiffExample]  # the first `limit`, by key


class BlackEntryRecord(TypedDict):
    """A black-list entry a publication starts (`disclosure.new_black_entries`)."""

    uscc: str
    start: str
    safety: bool  # listed for a safety rule: the longer minimum applies
    min_until: str  # earliest day credit repair may end it
    max_until: str  # the day it expires at the latest


class ExpiryRecord(TypedDict):
    """A ledger payload ending a black-list entry at its maximum duration."""

    entry_id: str
    uscc: str
    list: str  # "black"
    effective_on: str
    reason: str


class LedgerEvent(TypedDict):
    """A ledger record as a company's history shows it (`disclosure.company_history`)."""

    seq: int
    at: str  # ISO timestamp
    action: str
    run_id: str | None
    payload: dict[str, Any]  # the record's payload as written (its shape depends on `action`)


class DiscardPayload(TypedDict):
    """A discard as the ledger holds it: why, by whom, and what the run was."""

    period: str
    reason: str
    by: str
    was: str  # the status before: draft or publicity
    results_sha256: str
    objections_closed: list[str]


class Discarded(DiscardPayload):
    """`discard.discard`'s answer: the payload with the run, its new status and the record."""

    run_id: str
    status: str  # "discarded"
    ledger_seq: int


class PublicityPayload(TypedDict):
    """What a publicity (公示) record commits to: its days, deadlines and calendar."""

    period: str
    starts_on: str
    ends_on: str
    objections_until: str  # last day (end of day) an objection is accepted
    publicity_working_days: int
    calendar: CalendarRecord
    show_proposed: bool
    results_sha256: str


class Publicized(PublicityPayload):
    """`publication.publicize`'s answer: the payload with the run and its ledger record."""

    run_id: str
    status: str  # "publicity"
    ledger_seq: int


class RunRowDigest(TypedDict):
    """The columns of a run's row a publication hashes, and their sha256 (None: no row)."""

    columns: list[str]
    sha256: str | None


class PublicationPayload(TypedDict):
    """What a publication record commits to by hash (`publication.publication_payload`)."""

    period: str
    results_sha256: str
    results_digest: str  # the digest scheme the results were hashed with
    tables: dict[str, str]  # result table → sha256 of its rows
    run_row: RunRowDigest
    manifest_sha256: str
    ruleset: str  # name@version
    ruleset_files_sha256: str
    supersedes: str | None  # the run of the period published before, if any


class DisputedRecord(TypedDict):
    """A record an objection disputes: its source (kind) and key."""

    source: str
    key: str


class ObjectionPayload(TypedDict):
    """A filed objection (异议) as the ledger holds it."""

    objection_id: str  # OBJ-0001, …
    period: str
    uscc: str
    reasons: str
    records: list[DisputedRecord]
    filed_on: str
    deadline: str
    against_run: str


class ObjectionFiled(ObjectionPayload):
    """`objections.file`'s answer: the payload and its state ("pending")."""

    state: str


class ObjectionRecord(ObjectionPayload):
    """An objection as `objections.objections_of` reads it back from the ledger."""

    run_id: str | None  # the run objected to
    state: str  # pending, upheld, rejected, or closed (its run was discarded)
    filed_seq: int  # the ledger record that filed it
    resolution: NotRequired[dict[str, Any]]  # the deciding record's payload, once decided


class ObjectionRejectedPayload(TypedDict):
    """A rejected objection as the ledger holds it."""

    objection_id: str
    uscc: str
    reason: str


class ObjectionRejected(ObjectionRejectedPayload):
    """`objections.reject`'s answer: the payload and its state ("rejected")."""

    state: str


class ChangedCompany(TypedDict):
    """A company whose result a revision changed: grade and score before and after."""

    uscc: str
    name: str | None
    grade: list[str | None]  # [before, after]
    score: list[Any]  # [before, after], Decimal or None


class ObjectionUpheldPayload(TypedDict):
    """An upheld objection as the ledger holds it: the corrections and the revised run."""

    objection_id: str
    uscc: str
    reason: str
    correction_batches: list[int]
    revision_run: str
    changed: list[ChangedCompany]


class ObjectionUpheld(ObjectionUpheldPayload):
    """`objections.uphold`'s answer: the payload and its state ("upheld")."""

    state: str


class RepairPayload(TypedDict):
    """A credit-repair (信用修复) application as the ledger holds it."""

    repair_id: str  # REP-0001, …
    entry_id: str
    uscc: str
    proof: str
    applied_on: str


class RepairRecord(RepairPayload):
    """A repair application as `repairs.repairs_of` reads it back from the ledger."""

    state: str  # pending, approved or rejected
    decision: NotRequired[dict[str, Any]]  # the deciding record's payload, once decided


class RepairApplied(RepairPayload):
    """`repairs.apply`'s answer: the payload and its state ("pending")."""

    state: str


class RepairDecisionPayload(TypedDict):
    """A decision on a repair application as the ledger holds it."""

    repair_id: str
    entry_id: str
    uscc: str
    reason: str
    effective_on: str  # the entry ends that day when approved


class RepairDecided(RepairDecisionPayload):
    """`repairs.decide`'s answer: the payload and its state ("approved" or "rejected")."""

    state: str
