"""Reviewer edits on a stored report: the overlay model.

The machine-made report is kept unchanged (in ``report_originals`` once the
first edit arrives); every reviewer action is an append-only row in
``edits`` (the audit trail).  The *reviewed* report is always
``apply_edits(original, edits)`` and is written back with
``Store.save_report`` after every review, so ``factdesk show``, the exports
and the desk all see the same reviewed state.

What an edit changes in the report dict (extra fields are allowed by the
report schema):

* ``verdict`` → ``claims[i].verdict.label`` (``confidence`` is kept; the
  machine verdict is kept in ``claims[i].review.machine_verdict``);
* ``explanation`` → ``claims[i].verdict.explanation``;
* ``irrelevant`` / ``relevant`` → ``claims[i].evidence[j].irrelevant``;
* ``note`` → appended to ``claims[i].review.notes``;
* ``approve`` / ``unapprove`` → ``claims[i].review.approved`` (+ by, at).
  A later change to the verdict, explanation or evidence withdraws an
  approval given before it.

``summary`` is recounted and a top-level ``review`` block says how many
claims are approved and how many edits were made.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from factdesk.errors import InputError, NotFoundError
from factdesk.report.markdown import escape
from factdesk.store import Store

LABELS = ("supported", "refuted", "not_enough_evidence", "conflicting")
MAX_TEXT = 5000
_LOCK = threading.Lock()


def _claim_review(claim: dict[str, Any]) -> dict[str, Any]:
    rv = claim.get("review")
    if not isinstance(rv, dict):
        rv = {"approved": False, "approved_by": None, "approved_at": None, "edited": False, "edited_by": [],
              "notes": []}
        claim["review"] = rv
    return rv


def apply_edits(original: dict[str, Any], edits: list[dict[str, Any]]) -> dict[str, Any]:
    """The reviewed report: ``original`` with ``edits`` (rows of the audit trail) applied in order."""
    d = copy.deepcopy(original)
    claims = {c.get("id"): c for c in d.get("claims") or [] if isinstance(c, dict)}
    for c in claims.values():
        _claim_review(c)
    last = None
    for e in edits:
        claim = claims.get(e["claim_id"])
        if claim is None:
            continue
        rv = _claim_review(claim)
        action, new = e["action"], e.get("new_value")
        last = e["at"]
        if action in ("verdict", "explanation", "irrelevant", "relevant"):
            verdict = claim.get("verdict")
            if not isinstance(verdict, dict):
                verdict = {"label": "not_enough_evidence", "confidence": 0.0, "explanation": "", "evidence_ids": []}
                claim["verdict"] = verdict
            if "machine_verdict" not in rv and action in ("verdict", "explanation"):
                rv["machine_verdict"] = {k: verdict.get(k) for k in ("label", "confidence", "explanation")}
            if action == "verdict":
                verdict["label"] = new
            elif action == "explanation":
                verdict["explanation"] = new or ""
            else:
                for ev in claim.get("evidence") or []:
                    if isinstance(ev, dict) and ev.get("passage_id") == e.get("target"):
                        ev["irrelevant"] = action == "irrelevant"
            verdict["reviewed_by"] = e["user"]
            rv["edited"] = True
            if e["user"] not in rv["edited_by"]:
                rv["edited_by"].append(e["user"])
            if rv["approved"]:  # the approval was for the state before this change
                rv["approved"], rv["approved_by"], rv["approved_at"] = False, None, None
        elif action == "note":
            rv["notes"].append({"by": e["user"], "at": e["at"], "text": new or ""})
        elif action == "approve":
            rv["approved"], rv["approved_by"], rv["approved_at"] = True, e["user"], e["at"]
        elif action == "unapprove":
            rv["approved"], rv["approved_by"], rv["approved_at"] = False, None, None
    _recount(d)
    d["review"] = {"claims": len(claims), "approved_claims": sum(1 for c in claims.values() if c["review"]["approved"]),
                   "edits": len(edits), "last_edit": last}
    return d


def _recount(d: dict[str, Any]) -> None:
    summary = d.get("summary")
    if not isinstance(summary, dict):
        return
    counts = {label: 0 for label in LABELS}
    unchecked = 0
    for c in d.get("claims") or []:
        v = c.get("verdict") if isinstance(c, dict) else None
        if isinstance(v, dict) and v.get("label") in counts:
            counts[v["label"]] += 1
        else:
            unchecked += 1
    summary.update(counts)
    summary["unchecked"] = unchecked
    summary["claims"] = len(d.get("claims") or [])


def base_report(store: Store, report_id: str) -> dict[str, Any]:
    """The machine-made report (the original, if a reviewer has edited it)."""
    return store.desk.original_report(report_id) or store.get_report(report_id)


def reviewed_report(store: Store, report_id: str) -> dict[str, Any]:
    """The report with every reviewer edit applied (always carries ``review`` blocks)."""
    original = base_report(store, report_id)
    return apply_edits(original, store.desk.list_edits(original["id"]))


def review_claim(store: Store, report_id: str, claim_id: str, user: str, *, label: str | None = None,
                 explanation: str | None = None, note: str | None = None, approve: bool | None = None,
                 irrelevant: list[str] | None = None) -> dict[str, Any]:
    """Apply one reviewer's changes to a claim; returns the reviewed report.

    ``irrelevant`` is the complete set of evidence passage ids the reviewer marks
    irrelevant (None: leave the marks as they are).  Only real changes are recorded.
    """
    with _LOCK:
        original = base_report(store, report_id)
        rid = original["id"]
        current = apply_edits(original, store.desk.list_edits(rid))
        claim = next((c for c in current.get("claims") or [] if c.get("id") == claim_id), None)
        if claim is None:
            raise NotFoundError(f"no claim {claim_id!r} in report {rid}")
        verdict = claim.get("verdict") or {}
        actions: list[tuple[str, str | None, Any, Any]] = []
        if label is not None and label != "":
            if label not in LABELS:
                raise InputError(f"unknown verdict label {label!r}", hint="one of: " + ", ".join(LABELS))
            if label != verdict.get("label"):
                actions.append(("verdict", None, verdict.get("label"), label))
        if explanation is not None:
            explanation = explanation.replace("\r\n", "\n").strip()
            if len(explanation) > MAX_TEXT:
                raise InputError(f"the explanation is longer than {MAX_TEXT} characters")
            if explanation != (verdict.get("explanation") or ""):
                actions.append(("explanation", None, verdict.get("explanation"), explanation))
        if irrelevant is not None:
            known = [ev.get("passage_id") for ev in claim.get("evidence") or []]
            unknown = sorted(set(irrelevant) - set(known))
            if unknown:
                raise InputError(f"claim {claim_id} has no evidence {unknown[0]!r}")
            for ev in claim.get("evidence") or []:
                pid, was = ev.get("passage_id"), bool(ev.get("irrelevant"))
                now = pid in irrelevant
                if now != was:
                    actions.append(("irrelevant" if now else "relevant", pid, was, now))
        if note is not None and note.strip():
            if len(note) > MAX_TEXT:
                raise InputError(f"the note is longer than {MAX_TEXT} characters")
            actions.append(("note", None, None, note.replace("\r\n", "\n").strip()))
        approved = bool(claim["review"]["approved"])
        if approve is True and (not approved or any(a[0] not in ("note",) for a in actions)):
            actions.append(("approve", None, False, True))
        elif approve is False and approved:
            actions.append(("unapprove", None, True, False))
        if not actions:
            return current
        store.desk.keep_original(original)
        store.desk.add_edits(rid, claim_id, user, actions)
        reviewed = apply_edits(original, store.desk.list_edits(rid))
        store.save_report(reviewed)
        return reviewed


def review_markdown(d: dict[str, Any]) -> str:
    """A Markdown section on the review state (appended to the Markdown export)."""
    claims = [c for c in d.get("claims") or [] if isinstance(c, dict)]
    info = d.get("review") or {}
    lines = ["", "## Review", "",
             f"{info.get('approved_claims', 0)} of {len(claims)} claims approved; {info.get('edits', 0)} reviewer edits.",
             ""]
    for n, c in enumerate(claims, 1):
        rv = c.get("review") or {}
        if not (rv.get("approved") or rv.get("edited") or rv.get("notes")):
            continue
        verdict = c.get("verdict") or {}
        state = f"approved by {escape(rv.get('approved_by'), block=False)} on {escape(rv.get('approved_at'), block=False)}" \
            if rv.get("approved") else "not approved"
        lines.append(f"- Claim {n} ({escape(c.get('id'), block=False)}): {escape(verdict.get('label'), block=False)}, {state}")
        machine = rv.get("machine_verdict")
        if machine and machine.get("label") != verdict.get("label"):
            lines.append(f"  - machine verdict was {escape(machine.get('label'), block=False)}; "
                         f"changed by {escape(', '.join(rv.get('edited_by') or []), block=False)}")
        for note in rv.get("notes") or []:
            lines.append(f"  - note by {escape(note.get('by'), block=False)} ({escape(note.get('at'), block=False)}): "
                         f"{escape(note.get('text'), block=False)}")
    return "\n".join(lines) + "\n"
