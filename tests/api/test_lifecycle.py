"""The three release routes and the risk-control route, end to end over the API."""


def test_remediation_with_offsite_transfer_reaches_release(world):
    cid = world.to_state("released")
    case = world.case(cid, "env")
    assert case["state"] == "released"
    assert [m["status"] for m in case["manifests"]] == ["received"]
    events = world.get("env", f"/cases/{cid}/ledger").get_json()["events"]
    actions = [e["action"] for e in events]
    assert actions[0] == "site_registered"
    assert actions[-1] == "approve" and events[-1]["to_state"] == "released"
    assert all(e["prev_hash"] != e["hash"] for e in events)
    verify = world.get("env", "/ledger/verify").get_json()
    assert verify["ok"] is True and verify["first_bad_seq"] is None
