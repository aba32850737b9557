"""Pseudonymous person keys: the only trace of a patient or staff member the store ever holds.

A key is HMAC-SHA256(salt, identifier) in hex, cut to 32 characters (128 bits: no collisions at county
scale, and it fits ``PersonMixin.person_key``). Without the salt a key cannot be linked back to an ID
number by hashing candidate IDs, so the salt for real ingest lives outside the code and the store, in
the environment; the demo uses a fixed, public salt because its identifiers are synthetic anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_LENGTH = 32
SALT_ENV = "COCKPIT_PSEUDONYM_SALT"
DEMO_SALT = b"county-cockpit-demo-salt-not-for-real-data"


class MissingSaltError(RuntimeError):
    """Real identifiers must never be hashed with a default salt."""


def person_key(identifier: str, salt: bytes) -> str:
    """The 32-hex-character pseudonym of ``identifier`` under ``salt``."""
    if not salt:
        raise ValueError("an empty salt would make keys reversible by hashing candidate IDs")
    return hmac.new(salt, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:KEY_LENGTH]


def salt_from_env() -> bytes:
    """The ingest salt from COCKPIT_PSEUDONYM_SALT; refuse to run without one."""
    value = os.environ.get(SALT_ENV, "")
    if not value:
        raise MissingSaltError(
            f"{SALT_ENV} is not set: set it to a long random secret (e.g. `openssl rand -hex 32`), keep it out "
            "of the repository and the database, and use the same value for every ingest so keys stay linkable"
        )
    return value.encode("utf-8")
