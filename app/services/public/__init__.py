"""The public side (DESIGN.md §7): ``register`` (which plots are public, the
register's filters, pages and choices), ``plot`` (one plot's page: timeline,
notice board, release, evaluation), ``open_data`` (GeoJSON, CSV) and
``indicators`` (the figures of the indicators page).

The names below are the package's interface; callers import it as
``from app.services import public``.
"""

from app.services.public.open_data import CSV_COLUMNS, csv_bytes, csv_cell, geojson
from app.services.public.plot import (
    NOTICE_LABELS_ZH,
    cst_date,
    detail_json,
    evaluation,
    latest_progress,
    manifests_summary,
    notice_board,
    release,
    reopened,
    timeline,
)
from app.services.public.register import (
    LEVEL_LABELS_ZH,
    NON_PUBLIC_STATES,
    PHASE_LABELS_ZH,
    PHASES,
    PUBLIC_STATES,
    STATE_EXPLAINED_ZH,
    Filters,
    Page,
    Row,
    all_public,
    filter_options,
    get_public,
    in_counties,
    is_public,
    item_json,
    oriented,
    parse_filters,
    public_url,
    search,
    summary,
)

__all__ = [
    "CSV_COLUMNS",
    "LEVEL_LABELS_ZH",
    "NON_PUBLIC_STATES",
    "NOTICE_LABELS_ZH",
    "PHASES",
    "PHASE_LABELS_ZH",
    "PUBLIC_STATES",
    "STATE_EXPLAINED_ZH",
    "Filters",
    "Page",
    "Row",
    "all_public",
    "csv_bytes",
    "csv_cell",
    "cst_date",
    "detail_json",
    "evaluation",
    "filter_options",
    "geojson",
    "get_public",
    "in_counties",
    "is_public",
    "item_json",
    "latest_progress",
    "manifests_summary",
    "notice_board",
    "oriented",
    "parse_filters",
    "public_url",
    "release",
    "reopened",
    "search",
    "summary",
    "timeline",
]
