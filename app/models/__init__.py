"""Database models, one module per domain. Names follow STYLE.md: one English word
per domain term.

Models hold data and small derived properties only; services own every
transaction (no model method commits). Import them from here
(``from app.models import Case``): every model module is loaded, so the mapper
can resolve relationships across modules.
"""

from app.models.accounts import DEPARTMENTS, ROLES, ApiToken, User
from app.models.base import utcnow
from app.models.cases import (
    ASSIGNMENT_ROLES,
    RESPONSIBILITY_BASES,
    Assignment,
    Case,
    Determination,
    Filing,
    Handover,
    Responsibility,
    Review,
    Sample,
    Site,
)
from app.models.control import Alert
from app.models.counts import PlotCount, PlotPollutant, PollutantCount
from app.models.deadlines import Deadline, Notification
from app.models.decisions import Decision, DecisionSequence
from app.models.documents import Document, DocumentJob
from app.models.experts import Expert, Meeting, Panel
from app.models.farmland import (
    FarmlandClassification,
    FarmlandCropResult,
    FarmlandMeasure,
    FarmlandSample,
    FarmlandSequence,
    FarmlandUnit,
)
from app.models.ledger import LedgerEvent, LedgerHead, Lock, ScopeHead
from app.models.manifests import MANIFEST_STATUSES, TRANSPORT_MODES, Manifest
from app.models.parties import PARTY_KINDS, PARTY_STATUSES, Ban, Party
from app.models.presurvey import KeyUnit, Suspect, UnitFiling
from app.models.regions import LEVELS, Region
from app.models.search import SiteTerm
from app.models.tipoffs import (
    TIPOFF_CHANNEL_LABELS_ZH,
    TIPOFF_CHANNELS,
    TIPOFF_STATUS_LABELS_ZH,
    TIPOFF_STATUSES,
    Tipoff,
    TipoffEvent,
    TipoffPhoto,
)

__all__ = [
    "FarmlandClassification",
    "FarmlandCropResult",
    "FarmlandMeasure",
    "FarmlandSample",
    "FarmlandSequence",
    "FarmlandUnit",
    "ASSIGNMENT_ROLES",
    "DEPARTMENTS",
    "MANIFEST_STATUSES",
    "PARTY_KINDS",
    "PARTY_STATUSES",
    "RESPONSIBILITY_BASES",
    "ROLES",
    "TIPOFF_CHANNELS",
    "TIPOFF_CHANNEL_LABELS_ZH",
    "TIPOFF_STATUSES",
    "TIPOFF_STATUS_LABELS_ZH",
    "TRANSPORT_MODES",
    "Alert",
    "ApiToken",
    "Assignment",
    "Ban",
    "Case",
    "Deadline",
    "Decision",
    "DecisionSequence",
    "Determination",
    "Document",
    "DocumentJob",
    "Expert",
    "Filing",
    "Handover",
    "KeyUnit",
    "LedgerEvent",
    "LedgerHead",
    "Lock",
    "Manifest",
    "Meeting",
    "Notification",
    "Panel",
    "Party",
    "Responsibility",
    "Region",
    "PlotCount",
    "PlotPollutant",
    "PollutantCount",
    "LEVELS",
    "Review",
    "Sample",
    "ScopeHead",
    "Site",
    "SiteTerm",
    "Suspect",
    "Tipoff",
    "TipoffEvent",
    "TipoffPhoto",
    "UnitFiling",
    "User",
    "utcnow",
]
