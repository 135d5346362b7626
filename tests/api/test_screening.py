"""POST /api/v1/screening against GB 36600-2018 (DESIGN.md §4), over HTTP."""

import pytest

URL = "/api/v1/screening"
RESULT_FIELDS = {
    "pollutant",
    "cas",
    "value_mg_kg",
    "screening_value",
    "intervention_value",
    "level",
}
LEAD_CAS = "7439-92-1"


def screen(world, category, *samples, who="landholder"):
    return world.post(who, "/screening", {"land_category": category, "samples": list(samples)})


def sample(value, pollutant="铅", unit="mg/kg"):
    return {"pollutant": pollutant, "value": value, "unit": unit}


def level(world, category, value, pollutant="铅", unit="mg/kg") -> str:
    r = screen(world, category, sample(value, pollutant, unit))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["results"][0]["level"]


def error(r) -> dict:
    body = r.get_json()
    assert body and "error" in body, body
    return body["error"]


def test_needs_a_token(world, client):
    body = {"land_category": 1, "samples": [sample(100)]}
    r = client.post(URL, json=body)
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized"
    r = client.post(URL, json=body, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_any_authenticated_user_may_screen(world):
    for who in ("landholder", "contractor", "facility", "evaluator", "env", "nr", "admin"):
        r = screen(world, 1, sample(100), who=who)
        assert r.status_code == 200, who
        assert r.get_json()["max_level"] == "below_screening"


LEAD_LEVELS = [
    (1, 400, "below_screening"),
    (1, 400.01, "above_screening"),
    (1, 800, "above_screening"),
    (1, 800.5, "above_intervention"),
    (2, 400.01, "below_screening"),
    (2, 800, "below_screening"),
    (2, 800.5, "above_screening"),
    (2, 2500, "above_screening"),
    (2, 2500.5, "above_intervention"),
    (1, 0, "below_screening"),
]


def test_lead_levels_by_category(world):
    # Screening / intervention values: 400 / 800 (first category), 800 / 2500 (second).
    for category, value, expected in LEAD_LEVELS:
        assert level(world, category, value) == expected, (category, value)


def test_the_answer_has_the_contract_fields(world):
    r = screen(world, 1, sample(650))
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"results", "max_level"}
    (result,) = body["results"]
    assert set(result) >= RESULT_FIELDS, result
    assert result["pollutant"] == "铅"
    assert result["cas"] == LEAD_CAS
    assert result["value_mg_kg"] == 650
    assert result["screening_value"] == 400
    assert result["intervention_value"] == 800
    assert result["level"] == "above_screening"
    assert body["max_level"] == "above_screening"

    r = screen(world, 2, sample(650))
    result = r.get_json()["results"][0]
    assert (result["screening_value"], result["intervention_value"]) == (800, 2500)


UNIT_CASES = [
    (400010, "μg/kg", 400.01, "above_screening"),
    (400000, "μg/kg", 400, "below_screening"),
    (400010, "ug/kg", 400.01, "above_screening"),
    (400010, "µg/kg", 400.01, "above_screening"),  # the micro sign, not Greek mu
    (0.8005, "g/kg", 800.5, "above_intervention"),
    (0.4, "g/kg", 400, "below_screening"),
    (650, "MG/KG", 650, "above_screening"),
]


def test_units_are_converted_to_mg_kg(world):
    for value, unit, mg_kg, expected in UNIT_CASES:
        r = screen(world, 1, sample(value, unit=unit))
        assert r.status_code == 200, (unit, r.get_json())
        result = r.get_json()["results"][0]
        assert result["value_mg_kg"] == pytest.approx(mg_kg, rel=1e-12), (value, unit)
        assert result["level"] == expected, (value, unit)


def test_pollutant_by_chinese_name_english_name_or_cas(world):
    names = ["铅", "Lead", "lead", "LEAD", LEAD_CAS, " 铅 "]
    r = screen(world, 1, *[sample(650, pollutant=name) for name in names])
    assert r.status_code == 200, r.get_json()
    for name, result in zip(names, r.get_json()["results"], strict=True):
        assert result["pollutant"] == "铅", name
        assert result["cas"] == LEAD_CAS, name
        assert result["level"] == "above_screening", name


def test_organic_pollutant_by_name_and_cas(world):
    r = screen(
        world,
        1,
        sample(0.6, pollutant="苯并[a]芘"),
        sample(0.6, pollutant="Benzo[a]pyrene"),
        sample(0.6, pollutant="50-32-8"),
    )
    assert r.status_code == 200, r.get_json()
    results = r.get_json()["results"]
    assert {x["cas"] for x in results} == {"50-32-8"}
    assert {x["level"] for x in results} == {"above_screening"}  # screening value 0.55


def test_unknown_pollutant_is_400_naming_it(world):
    r = screen(world, 1, sample(100), sample(12, pollutant="独角兽素"))
    assert r.status_code == 400
    err = error(r)
    assert err["code"] == "validation_error"
    assert "独角兽素" in err["message"]
    assert "samples[1].pollutant" in err["fields"]


def test_unknown_unit_is_400_naming_it(world):
    r = screen(world, 1, sample(100, unit="ppm"))
    assert r.status_code == 400
    err = error(r)
    assert "ppm" in err["message"]
    assert "samples[0].unit" in err["fields"]


def test_land_category_must_be_1_or_2(world):
    for category in (3, 0, -1, "1", "first", None, True, [1]):
        r = screen(world, category, sample(100))
        assert r.status_code == 400, category
        assert "land_category" in error(r)["fields"], category


def test_missing_land_category_is_400(world):
    r = world.post("landholder", "/screening", {"samples": [sample(100)]})
    assert r.status_code == 400
    assert "land_category" in error(r)["fields"]


def test_zinc_is_known_but_has_no_standard(world):
    r = screen(world, 1, sample(5000, pollutant="锌"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    (result,) = body["results"]
    assert result["level"] == "no_standard"
    assert result["screening_value"] is None and result["intervention_value"] is None
    assert result["cas"] == "7440-66-6"
    assert body["max_level"] == "no_standard"


def test_max_level_is_the_worst_result(world):
    r = screen(
        world,
        1,
        sample(100),
        sample(5000, pollutant="Zinc"),
        sample(900),
        sample(500),
    )
    body = r.get_json()
    assert [x["level"] for x in body["results"]] == [
        "below_screening",
        "no_standard",
        "above_intervention",
        "above_screening",
    ]
    assert body["max_level"] == "above_intervention"

    body = screen(world, 1, sample(5000, pollutant="Zinc"), sample(100)).get_json()
    assert body["max_level"] == "below_screening"
    body = screen(world, 1, sample(100), sample(650)).get_json()
    assert body["max_level"] == "above_screening"


def test_bad_samples_are_400(world):
    for samples in ([], "铅 650", [{"pollutant": "铅", "unit": "mg/kg"}], ["铅"], None):
        r = world.post("landholder", "/screening", {"land_category": 1, "samples": samples})
        assert r.status_code == 400, samples
        assert error(r)["code"] == "validation_error"


def test_bad_values_are_400(world):
    for value in ("650", -1, True, 10**30, 10**400, [650], None):
        r = screen(world, 1, sample(value))
        assert r.status_code == 400, value
        assert "samples[0].value" in error(r)["fields"], value


def test_non_finite_values_are_400_never_500(world):
    for raw in ("1e400", "NaN", "Infinity", "-Infinity"):
        body = '{"land_category": 1, "samples": [{"pollutant": "铅", "value": ' + raw
        body += ', "unit": "mg/kg"}]}'
        r = world.client.post(
            URL,
            data=body.encode(),
            content_type="application/json",
            headers=world.landholder.headers,
        )
        assert r.status_code == 400, (raw, r.data[:200])
        assert error(r)["code"] == "validation_error"


def test_unknown_top_level_field_is_400(world):
    r = world.post(
        "landholder", "/screening", {"land_category": 1, "samples": [sample(1)], "unit": "mg/kg"}
    )
    assert r.status_code == 400
    assert "unit" in error(r)["fields"]


def test_every_error_is_reported_at_once(world):
    r = screen(
        world,
        1,
        sample(1, pollutant="独角兽素"),
        sample(1, unit="ppm"),
        sample(-5),
    )
    assert r.status_code == 400
    fields = error(r)["fields"]
    assert {"samples[0].pollutant", "samples[1].unit", "samples[2].value"} <= set(fields)


def test_results_follow_the_input_order(world):
    names = ["镉", "铅", "Zinc", "50-32-8"]
    r = screen(world, 2, *[sample(1, pollutant=n) for n in names])
    assert [x["cas"] for x in r.get_json()["results"]] == [
        "7440-43-9",
        LEAD_CAS,
        "7440-66-6",
        "50-32-8",
    ]
