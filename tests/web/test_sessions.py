"""Browser sessions (issue 4, DESIGN.md §8): /login and /logout, a per-login
session token so a cookie replayed after logout is refused, and ``next``
redirects that never leave the site."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support import make_party, make_user
from tests.web.conftest import login, new_client, page


def _protected_redirects_to_login(web, url="/portal/") -> bool:
    r = web.get(url)
    return r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"


def test_an_anonymous_visitor_is_sent_to_login_with_the_page_to_come_back_to(web):
    r = web.get("/portal/")
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    assert target.path == "/login"
    assert "next=%2Fportal%2F" in target.query


def test_login_opens_the_portal_and_logout_ends_it(web):
    user = make_user("landholder", make_party())
    r = login(web, user)
    assert urlsplit(r.headers["Location"]).path == "/account"
    home = web.get("/account")
    assert home.status_code == 302 and home.headers["Location"].endswith("/portal/")
    assert web.get("/portal/").status_code == 200

    r = web.post("/logout")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    assert "您已退出登录" in web.get("/login").get_data(as_text=True)
    assert _protected_redirects_to_login(web)


def test_a_session_cookie_saved_before_logout_is_refused_after_it(web, app):
    user = make_user("landholder", make_party())
    login(web, user)
    assert web.get("/portal/").status_code == 200
    saved = web.get_cookie("session").value

    web.post("/logout")
    assert _protected_redirects_to_login(web)

    # An attacker who copied the cookie replays it, from the same or another browser.
    web.set_cookie("session", saved)
    assert _protected_redirects_to_login(web)
    thief = new_client(app)
    thief.set_cookie("session", saved)
    assert _protected_redirects_to_login(thief)
    assert _protected_redirects_to_login(thief, "/account")


def test_the_cookie_of_an_earlier_login_dies_with_a_new_login_and_logout(web, app):
    user = make_user("landholder", make_party())
    login(web, user)
    first = web.get_cookie("session").value
    other = new_client(app)
    login(other, user)
    other.post("/logout")
    replay = new_client(app)
    replay.set_cookie("session", first)
    assert _protected_redirects_to_login(replay)


def test_a_wrong_password_is_shown_beside_the_field_in_chinese_and_the_name_is_kept(web):
    user = make_user("landholder", make_party())
    r = web.post("/login", data={"username": user.username, "password": "not-the-password"})
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("password") == ["用户名或密码错误"]
    assert doc.value("username") == user.username
    assert doc.value("password") == ""  # a password is never echoed back
    assert _protected_redirects_to_login(web)


def test_an_empty_login_form_says_what_is_missing(web):
    r = web.post("/login", data={"username": "", "password": ""})
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("username") == ["请输入用户名"]
    assert doc.errors_beside("password") == ["请输入密码"]


# ---------------------------------------------------------------- next


def browser_resolve(location: str, base: str = "http://localhost/login") -> tuple[str, str]:
    """Where a browser goes for this Location header (WHATWG URL parsing: C0
    controls and spaces at the ends stripped, tabs and newlines removed
    anywhere, backslashes read as slashes in http(s) URLs)."""
    loc = location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                         "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")  # fmt: skip
    loc = re.sub(r"[\t\n\r]", "", loc).replace("\\", "/")
    target = urlsplit(urljoin(base, loc))
    return target.scheme, target.netloc


OFFSITE = [
    "//evil.com",
    "////evil.com",
    "/\t/evil.com",
    "/\\evil.com",
    "\\/evil.com",
    "https://evil.com",
    "http:evil.com",
    "javascript:alert(1)",
    " //evil.com",
    "/\n/evil.com",
    "%2F%2Fevil.com",
]


@pytest.mark.parametrize("payload", OFFSITE, ids=repr)
def test_next_never_leaves_the_site(web, world, payload):
    r = login(web, world.env.user, next_url=payload)
    location = r.headers["Location"]
    assert browser_resolve(location) == ("http", "localhost"), location
    assert "evil.com" not in location
    assert not location.lower().startswith("javascript")


def test_next_to_a_page_of_the_site_is_followed(web, world):
    r = login(web, world.env.user, next_url="/review/")
    assert r.headers["Location"] == "/review/"
    assert web.get("/review/").status_code == 200


def test_next_is_followed_after_a_failed_first_attempt(web, world):
    """The form posts back to the URL it came from, so ``next`` survives a typo."""
    r = web.post(
        "/login?next=%2Freview%2Fmanifests",
        data={"username": world.env.user.username, "password": "typo"},
    )
    assert r.status_code == 400
    r = login(web, world.env.user, next_url="/review/manifests")
    assert r.headers["Location"] == "/review/manifests"
