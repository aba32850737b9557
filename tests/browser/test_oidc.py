"""Sign-in through an OpenID Connect provider (st.login) in Chromium, end to end: a real provider
(oidc-provider-mock, a Flask app) on 127.0.0.1, the app with COCKPIT_AUTH=on and a secrets file whose [auth]
points at it. The provider's form picks the subject, whose e-mail names the cockpit user: an area officer
signs in and sees no other area's unit; an e-mail without a cockpit user is refused in words."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import oidc_provider_mock
import pytest
import werkzeug.serving
from playwright.sync_api import Page, expect

from lib import i18n
from lib.access import accounts
from lib.store import db
from tests.browser.conftest import AppServer, free_port, serve, wait_for_app_run
from tests.conftest import make_store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 11, 5, 9)
OFFICER = "pastor@county.test"
URBAN_NAMES = ("旗医院", "一号卫生院", "一号卫生室")


@contextlib.contextmanager
def _provider() -> Iterator[str]:
    """The identity provider on a free 127.0.0.1 port, in a thread, until the block ends; yields its origin.
    Any client id and secret are accepted (no registration), and a subject typed on its form has that e-mail."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _secrets(path: Path, provider: str, app_port: int) -> Path:
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-long-enough-to-sign"\n'
        'client_id = "cockpit"\n'
        'client_secret = "cockpit-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def _fill(url: str) -> None:
    tiny.build(url)
    with db.engine(url).begin() as conn:  # no password: this account signs in through the provider only
        accounts.add(conn, OFFICER, "area_staff", None, area="pastoral", by="setup", now=NOW)


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("tiny-oidc"), fill=_fill) as url:
        yield url


@pytest.fixture(scope="module")
def app_server(reference_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app, signed-in on, whose secrets (outside the repository) name the provider."""
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    with _provider() as provider:
        secrets = _secrets(folder / "secrets.toml", provider, port)
        with serve(reference_store, folder, f"--secrets.files={secrets}", port=port,
                   env={"COCKPIT_AUTH": "on"}) as server:
            yield server


def _sign_in(page: Page, server: AppServer, email: str) -> Page:
    """Through the provider: the cockpit's button, the provider's form with ``email``, back to the app."""
    page.goto(server.origin + "/")
    wait_for_app_run(page)
    page.get_by_role("button", name=i18n.t("access.signin.oidc", "zh")).click()
    page.wait_for_url("**/oauth2/authorize**")
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server.origin}/**")
    wait_for_app_run(page)
    return page


def test_an_officer_signs_in_through_the_provider_and_sees_only_their_area(page: Page, app_server: AppServer) -> None:
    _sign_in(page, app_server, OFFICER)
    expect(page.get_by_text(OFFICER).first).to_be_visible()
    expect(page.locator(".cockpit-watermark")).to_have_count(1)
    page.goto(app_server.origin + "/rankings?period=2026-10&unit=H")
    wait_for_app_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1).first).not_to_have_text(i18n.t("access.signin.title", "zh"))
    expect(page.get_by_text(OFFICER).first).to_be_visible()
    assert [n for n in URBAN_NAMES if n in page.content()] == []


def test_an_email_without_a_cockpit_user_is_refused_in_words(page: Page, app_server: AppServer) -> None:
    stranger = "stranger@elsewhere.test"
    _sign_in(page, app_server, stranger)
    expect(page.get_by_text(i18n.t("access.signin.no_account", "zh", name=stranger))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t("access.signin.title", "zh"))
    assert [n for n in URBAN_NAMES if n in page.content()] == []
    page.goto(app_server.origin + "/rankings?lang=en")  # still refused on the next run, now in English
    wait_for_app_run(page)
    expect(page.get_by_text(i18n.t("access.signin.no_account", "en", name=stranger))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_signing_out_ends_the_provider_sign_in_too(page: Page, app_server: AppServer) -> None:
    _sign_in(page, app_server, OFFICER)
    page.get_by_role("button", name=i18n.t("access.signout", "zh")).click()
    page.get_by_role("button", name="End session").click()  # the provider confirms, then sends the browser back
    page.wait_for_url(f"{app_server.origin}/**")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t("access.signin.title", "zh"))
    page.reload()  # no identity cookie left: still signed out
    wait_for_app_run(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t("access.signin.title", "zh"))
    expect(page.get_by_text(OFFICER)).to_have_count(0)
