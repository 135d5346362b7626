"""The command line of DESIGN.md §8: parties, users, ledger verify, demo."""

from __future__ import annotations

import contextlib
import importlib.util

import pytest
from sqlalchemy import func, select

import workflows
from app.models import Case, Party, Site, User
from app.services.credit_codes import make_credit_code
from tests.support import make_party

PASSWORD = "cli-password-1"
_seed = iter(range(1, 10_000))


def fresh_code() -> str:
    return make_credit_code(f"91533124MC{next(_seed):07d}")


def wrong_check(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def text_of(result) -> str:
    out = result.output or ""
    with contextlib.suppress(ValueError):  # stderr not captured separately
        out += result.stderr or ""
    return out


def parties_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Party))


def user_named(db, username) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


# ---------------------------------------------------------------- parties


@pytest.mark.parametrize("kind", ["enterprise", "individual", "government", "institution"])
def test_parties_create(cli, db, kind):
    code = fresh_code()
    result = cli(
        "parties", "create", "--name", "陇川县测试单位", "--credit-code", code, "--kind", kind
    )
    assert result.exit_code == 0, text_of(result)
    party = db.session.scalar(select(Party).where(Party.credit_code == code))
    assert party is not None
    assert (party.name, party.kind, party.status) == ("陇川县测试单位", kind, "active")


def test_parties_create_normalises_lower_case_input(cli, db):
    code = fresh_code()
    result = cli(
        "parties",
        "create",
        "--name",
        "小写代码单位",
        "--credit-code",
        code.lower(),
        "--kind",
        "enterprise",
    )
    assert result.exit_code == 0, text_of(result)
    assert db.session.scalar(select(Party).where(Party.credit_code == code)) is not None


@pytest.mark.parametrize(
    "code",
    [
        wrong_check(make_credit_code("91533124MA0000001")),
        "91533124MA000000",  # 16 characters
        "91533124MA0000I01X",  # I is not in the alphabet
        "",
    ],
)
def test_parties_create_refuses_an_invalid_credit_code(cli, db, code):
    before = parties_count(db)
    result = cli(
        "parties", "create", "--name", "无效代码单位", "--credit-code", code, "--kind", "enterprise"
    )
    assert result.exit_code != 0
    assert "credit" in text_of(result) or "信用代码" in text_of(result)
    assert parties_count(db) == before


def test_parties_create_refuses_a_duplicate(cli, db):
    code = fresh_code()
    assert cli("parties", "create", "--name", "甲", "--credit-code", code).exit_code == 0
    result = cli("parties", "create", "--name", "乙", "--credit-code", code)
    assert result.exit_code != 0
    assert code in text_of(result)
    names = db.session.scalars(select(Party.name).where(Party.credit_code == code)).all()
    assert names == ["甲"]


def test_parties_create_refuses_an_unknown_kind(cli, db):
    before = parties_count(db)
    result = cli(
        "parties", "create", "--name", "丙", "--credit-code", fresh_code(), "--kind", "club"
    )
    assert result.exit_code != 0
    assert parties_count(db) == before


# ---------------------------------------------------------------- users


@pytest.mark.parametrize("role", ["landholder", "contractor", "facility", "evaluator"])
def test_users_create_party_roles(cli, db, role):
    party = make_party()
    result = cli(
        "users",
        "create",
        f"u-{role}",
        "--role",
        role,
        "--party",
        party.credit_code,
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, text_of(result)
    user = user_named(db, f"u-{role}")
    assert user.role == role and user.party_id == party.id and user.department is None
    assert user.password_hash.startswith("scrypt:131072:")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("department", ["environment", "natural_resources"])
def test_users_create_bureau(cli, db, client, department):
    result = cli(
        "users",
        "create",
        f"b-{department}",
        "--role",
        "bureau",
        "--department",
        department,
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, text_of(result)
    user = user_named(db, f"b-{department}")
    assert user.role == "bureau" and user.department == department and user.party_id is None
    # The new officer can sign in over the API.
    r = client.post("/api/v1/tokens", json={"username": f"b-{department}", "password": PASSWORD})
    assert r.status_code == 201, r.get_json()


def test_users_create_admin(cli, db):
    result = cli("users", "create", "root", "--role", "admin", "--password", PASSWORD)
    assert result.exit_code == 0, text_of(result)
    user = user_named(db, "root")
    assert user.role == "admin" and user.party_id is None and user.department is None


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--role", "bureau"], "bureau without a department"),
        (["--role", "landholder"], "landholder without a party"),
        (["--role", "contractor", "--party", "UNREGISTERED"], "an unregistered party"),
        (["--role", "bureau", "--department", "finance"], "an unknown department"),
        (["--role", "pope"], "an unknown role"),
    ],
)
def test_users_create_refuses(cli, db, args, why):
    args = [fresh_code() if a == "UNREGISTERED" else a for a in args]
    result = cli("users", "create", "refused", *args, "--password", PASSWORD)
    assert result.exit_code != 0, why
    assert user_named(db, "refused") is None, why


def test_users_create_refuses_a_short_password(cli, db):
    result = cli("users", "create", "shorty", "--role", "admin", "--password", "short")
    assert result.exit_code != 0
    assert user_named(db, "shorty") is None


def test_users_create_refuses_a_duplicate_username(cli, db):
    assert cli("users", "create", "twice", "--role", "admin", "--password", PASSWORD).exit_code == 0
    result = cli("users", "create", "twice", "--role", "admin", "--password", PASSWORD)
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).where(User.username == "twice")) == 1


# ---------------------------------------------------------------- ledger


def test_ledger_verify_passes_on_a_good_chain(cli, world):
    world.to_state("survey_review")
    result = cli("ledger", "verify")
    assert result.exit_code == 0, text_of(result)


def test_ledger_verify_passes_on_an_empty_ledger(cli):
    assert cli("ledger", "verify").exit_code == 0


# ---------------------------------------------------------------- demo


@pytest.mark.skipif(
    not importlib.util.find_spec("app.demo"), reason="app/demo.py is not written yet"
)
def test_demo_fills_every_state(cli, db):
    result = cli("demo")
    assert result.exit_code == 0, text_of(result)
    db.session.expire_all()
    states = set(db.session.scalars(select(Case.state).distinct()))
    missing = [s for s in workflows.STATES if s not in states]
    assert not missing, f"no demo case in {missing}"
    townships = set(db.session.scalars(select(Site.township)))
    assert "章凤镇" in townships
    verify = cli("ledger", "verify")
    assert verify.exit_code == 0, text_of(verify)
