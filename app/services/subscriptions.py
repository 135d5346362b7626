"""Every side effect of a ledger event, in one place (see ``events``).

Read this file to learn what happens after something is recorded. Services that
record events import none of the modules below; this module imports them.
"""

from __future__ import annotations

from app.services import documents, events
from workflows.filings import KINDS as FILING_KINDS


@events.on(*FILING_KINDS)
def issue_filing_receipt(event):
    """备案回执 for every filing."""
    return documents.issue_later("filing_receipt", event, filing_id=event.detail["filing_id"])


@events.on("approve", "require_remediation", "require_control")
def issue_approval_receipt(event):
    """审查决定回执 for every numbered decision (DESIGN §10): approvals and the
    bureau's choice of route (修复 or 风险管控)."""
    return documents.issue_later("approval_receipt", event)


@events.on("manifest_reported")
def issue_manifest(event):
    """The 转运联单 itself, once the transfer is reported."""
    return documents.issue_later("manifest", event, manifest_id=documents.manifest_id_for(event))
