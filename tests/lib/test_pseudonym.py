import re

import pytest

from lib.store import pseudonym


def test_key_is_32_hex_and_stable():
    key = pseudonym.person_key("152824199001011234", b"salt")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == pseudonym.person_key("152824199001011234", b"salt")


def test_key_is_the_truncated_hmac_sha256():
    # RFC 4231 test case 2: HMAC-SHA256(key="Jefe", data="what do ya want for nothing?")
    assert pseudonym.person_key("what do ya want for nothing?", b"Jefe") == "5bdcc146bf60754e6a042426089575c7"


def test_salt_changes_the_key_and_identifiers_do_not_collide():
    assert pseudonym.person_key("a", b"one") != pseudonym.person_key("a", b"two")
    keys = {pseudonym.person_key(f"id-{i}", pseudonym.DEMO_SALT) for i in range(10_000)}
    assert len(keys) == 10_000


def test_empty_salt_is_refused():
    with pytest.raises(ValueError, match="salt"):
        pseudonym.person_key("a", b"")


def test_salt_from_env(monkeypatch):
    monkeypatch.setenv(pseudonym.SALT_ENV, "s3cret")
    assert pseudonym.salt_from_env() == b"s3cret"


@pytest.mark.parametrize("value", [None, ""])
def test_missing_salt_names_the_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(pseudonym.SALT_ENV, raising=False)
    else:
        monkeypatch.setenv(pseudonym.SALT_ENV, value)
    with pytest.raises(pseudonym.MissingSaltError, match=pseudonym.SALT_ENV):
        pseudonym.salt_from_env()
