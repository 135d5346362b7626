"""Operation ids and OpenAPI links of ``/api/v1`` (the stateful part of the
description): which answer leads to which next request, so schemathesis can walk
plot → case → filing → action, manifest → steps, party → ban, determination → sign."""

from __future__ import annotations

OPERATION_IDS = {
    ("/tokens", "post"): "createToken",
    ("/me", "get"): "getMe",
    ("/screening", "post"): "screenSamples",
    ("/sites", "post"): "registerSite",
    ("/sites/{code}", "get"): "getSite",
    ("/sites/{code}/transfer", "post"): "transferSite",
    ("/sites/{code}/use-change", "post"): "changeSiteUse",
    ("/cases", "get"): "listCases",
    ("/cases/{case_id}", "get"): "getCase",
    ("/cases/{case_id}/actions/{action}", "post"): "takeCaseAction",
    ("/cases/{case_id}/filings", "post"): "createFiling",
    ("/cases/{case_id}/filings", "get"): "listFilings",
    ("/cases/{case_id}/ledger", "get"): "getCaseLedger",
    ("/cases/{case_id}/assignments", "post"): "createAssignment",
    ("/cases/{case_id}/manifests", "post"): "createManifest",
    ("/cases/{case_id}/manifests", "get"): "listCaseManifests",
    ("/cases/{case_id}/determinations", "post"): "proposeDetermination",
    ("/cases/{case_id}/accountability", "get"): "getCaseAccountability",
    ("/determinations/{determination_id}/sign", "post"): "signDetermination",
    ("/manifests", "get"): "listManifests",
    ("/manifests/{manifest_id}", "get"): "getManifest",
    ("/manifests/{manifest_id}/{step}", "post"): "stepManifest",
    ("/documents/{document_id}", "get"): "getDocument",
    ("/parties", "post"): "createParty",
    ("/parties/{ref}", "get"): "getParty",
    ("/parties/{ref}/succession", "post"): "recordSuccession",
    ("/parties/{ref}/dissolution", "post"): "recordDissolution",
    ("/parties/{ref}/ban", "post"): "banParty",
    ("/parties/{ref}/ban/lift", "post"): "liftPartyBan",
    ("/parties/{ref}/credit", "get"): "getPartyCredit",
    ("/public/parties/{code}/credit", "get"): "getPublicPartyCredit",
    ("/ledger/verify", "get"): "verifyLedger",
    ("/deadlines", "get"): "listDeadlines",
    ("/tokens/current", "delete"): "revokeCurrentToken",
    ("/me/password", "post"): "changeMyPassword",
    ("/notifications", "get"): "listNotifications",
    ("/notifications/{notification_id}/read", "post"): "readNotification",
    ("/public/ledger/heads", "get"): "listPublicLedgerHeads",
    ("/public/ledger/head", "get"): "getPublicLedgerHead",
    ("/public/sites", "get"): "listPublicSites",
    ("/public/sites/{code}", "get"): "getPublicSite",
    ("/public/sites.geojson", "get"): "getPublicSitesGeojson",
    ("/public/farmland", "get"): "getPublicFarmland",
    ("/tipoffs", "get"): "listTipoffs",
    ("/tipoffs/{tipoff_id}", "get"): "getTipoff",
    ("/tipoffs/{tipoff_id}", "post"): "handleTipoff",
    ("/tipoffs/{tipoff_id}/photos/{sha256}", "get"): "getTipoffPhoto",
    ("/tipoffs", "post"): "recordTipoff",
    ("/tipoffs/{tipoff_id}/hand-over", "post"): "handOverTipoff",
    ("/openapi.json", "get"): "getOpenapi",
    ("/suspected-sites", "post"): "createSuspect",
    ("/suspected-sites", "get"): "listSuspects",
    ("/suspected-sites/{suspect_id}", "get"): "getSuspect",
    ("/suspected-sites/{suspect_id}/order-survey", "post"): "orderSurvey",
    ("/suspected-sites/{suspect_id}/dismiss", "post"): "dismissSuspect",
    ("/key-units", "post"): "createKeyUnit",
    ("/key-units", "get"): "listKeyUnits",
    ("/key-units/{credit_code}", "get"): "getKeyUnit",
    ("/key-units/{credit_code}/filings", "post"): "fileKeyUnit",
    ("/key-units/{credit_code}/close", "post"): "closeKeyUnit",
    ("/public/key-units", "get"): "listPublicKeyUnits",
    ("/experts", "post"): "createExpert",
    ("/experts", "get"): "listExperts",
    ("/experts/{expert_id}", "post"): "updateExpert",
    ("/cases/{case_id}/panels", "post"): "drawPanel",
    ("/cases/{case_id}/panels", "get"): "listPanels",
    ("/panels/{panel_id}/replay", "get"): "replayPanel",
    ("/panels/{panel_id}/meeting", "post"): "recordMeeting",
}


def _to(operation_id: str, body: dict | None = None, description: str = "", **params: str) -> dict:
    """An OpenAPI link to ``operation_id``: path parameters and, for actions,
    the request body as runtime expressions over this response or request."""
    link = {"operationId": operation_id, "parameters": params}
    if body is not None:
        link["requestBody"] = body
    if description:
        link["description"] = description
    return link


def _case_links(id_expr: str, version_expr: str | None) -> dict:
    """Everything that follows from knowing a case (and, for actions, its version)."""
    case = {"case_id": id_expr}
    links = {
        "GetCase": _to("getCase", **case),
        "FileFiling": _to("createFiling", **case),
        "ListFilings": _to("listFilings", **case),
        "GetCaseLedger": _to("getCaseLedger", **case),
        "GetCaseAccountability": _to("getCaseAccountability", **case),
        "ListCaseManifests": _to("listCaseManifests", **case),
        "CreateManifest": _to("createManifest", **case),
        "CreateAssignment": _to("createAssignment", **case),
        "ProposeDetermination": _to("proposeDetermination", **case),
    }
    if version_expr is not None:
        links["TakeCaseAction"] = _to(
            "takeCaseAction", {"version": version_expr},
            "an action on the case with its live version (optimistic locking)", **case,
        )  # fmt: skip
    return links


def _manifest_links(id_expr: str) -> dict:
    return {"GetManifest": _to("getManifest", manifest_id=id_expr),
            "StepManifest": _to("stepManifest", manifest_id=id_expr)}  # fmt: skip


def _party_links(code_expr: str) -> dict:
    ref = {"ref": code_expr}
    return {
        "GetParty": _to("getParty", **ref),
        "GetPartyCredit": _to("getPartyCredit", **ref),
        "GetPublicPartyCredit": _to("getPublicPartyCredit", code=code_expr),
        "BanParty": _to("banParty", **ref),
        "LiftPartyBan": _to("liftPartyBan", **ref),
    }


# (operationId, status) -> the links of that response: how one answer feeds the
# next call (register a plot → its case → file → act; report a manifest →
# dispatch → receive; propose a determination → sign). schemathesis' stateful
# phase follows them (tests/security/test_schemathesis.py).
LINKS: dict[tuple[str, str], dict] = {
    ("registerSite", "201"): {
        **_case_links("$response.body#/case/id", "$response.body#/case/version"),
        "GetSite": _to("getSite", code="$response.body#/code"),
        "TransferSite": _to("transferSite", code="$response.body#/code"),
    },
    ("getSite", "200"): {"TransferSite": _to("transferSite", code="$response.body#/code")},
    ("getCase", "200"): _case_links("$response.body#/id", "$response.body#/version"),
    ("takeCaseAction", "200"): _case_links("$response.body#/id", "$response.body#/version"),
    ("listCases", "200"): {
        "GetCase": _to("getCase", case_id="$response.body#/items/0/id"),
        "TakeCaseAction": _to(
            "takeCaseAction",
            {"version": "$response.body#/items/0/version"},
            case_id="$response.body#/items/0/id",
        ),
    },
    ("createFiling", "201"): {
        "GetCase": _to("getCase", case_id="$request.path.case_id"),
        "ListFilings": _to("listFilings", case_id="$request.path.case_id"),
    },
    ("createManifest", "201"): _manifest_links("$response.body#/id"),
    ("getManifest", "200"): {"StepManifest": _to("stepManifest", manifest_id="$response.body#/id")},
    ("stepManifest", "200"): _manifest_links("$response.body#/id"),
    ("listManifests", "200"): _manifest_links("$response.body#/items/0/id"),
    ("proposeDetermination", "201"): {
        "SignDetermination": _to("signDetermination", determination_id="$response.body#/id"),
        "GetCase": _to("getCase", case_id="$response.body#/case_id"),
    },
    ("createParty", "201"): _party_links("$response.body#/credit_code"),
    # §12: a suspected plot → its order or dismissal; an ordered survey → its case.
    ("createSuspect", "201"): {
        "GetSuspect": _to("getSuspect", suspect_id="$response.body#/id"),
        "OrderSurvey": _to("orderSurvey", suspect_id="$response.body#/id"),
        "DismissSuspect": _to("dismissSuspect", suspect_id="$response.body#/id"),
    },
    ("orderSurvey", "200"): {"GetCase": _to("getCase", case_id="$response.body#/case_id")},
    ("createExpert", "201"): {"UpdateExpert": _to("updateExpert", expert_id="$response.body#/id")},
    ("drawPanel", "201"): {
        "ReplayPanel": _to("replayPanel", panel_id="$response.body#/id"),
        "RecordMeeting": _to("recordMeeting", panel_id="$response.body#/id"),
    },
    ("createKeyUnit", "201"): {
        "GetKeyUnit": _to("getKeyUnit", credit_code="$response.body#/credit_code"),
        "FileKeyUnit": _to("fileKeyUnit", credit_code="$response.body#/credit_code"),
        "CloseKeyUnit": _to("closeKeyUnit", credit_code="$response.body#/credit_code"),
    },
}


def add_operation_ids(paths: dict) -> None:
    for path, item in paths.items():
        for method, op in item.items():
            op["operationId"] = OPERATION_IDS[(path, method)]


def add_links(paths: dict) -> None:
    by_id = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for (operation_id, status), links in LINKS.items():
        by_id[operation_id]["responses"][status]["links"] = links
