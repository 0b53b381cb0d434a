"""Two-factor login for staff: a time-based code (TOTP, RFC 6238) from an authenticator app.

A user sets it up by scanning or typing a new secret into their app
(:func:`new_pending_secret`, shown only to the browser that asked for it)
and confirming one code (:func:`enable`); from then on a login asks for a
code after the password (:func:`check_code`). Each code is accepted once:
the step it belongs to is remembered (``users.totp_last_step``), and a code
of that step or an earlier one is refused, so a code seen over a shoulder or
in a log cannot be replayed. Codes of the step before and after the current
one are accepted, for clocks a little apart. Moving to a new app, or turning
two-factor login off (:func:`disable`), in a session already logged in asks
the password and a code of the current app again (:func:`confirm_identity`),
so a session left open or stolen cannot take over the second factor.
"""

from __future__ import annotations

import hashlib
import time

import pyotp
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.accounts.passwords import verify_password

ISSUER = "elicit"
"""The name authenticator apps show beside the account."""


def new_secret() -> str:
    """Return a fresh random base-32 secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, after: int | None = None) -> int | None:
    """Return the time step whose code ``code`` is (now, one before or one after), or ``None``.

    A step not later than ``after`` (the last accepted) does not count.
    """
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(
            totp.generate_otp(step), code
        ):
            return step
    return None


def _key_hash(key: str) -> str:
    """Return the SHA-256 of a browser's set-up key, as stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def pending_secret(user: User, key: str) -> str | None:
    """Return the secret the browser holding ``key`` is setting up an app with, if any.

    The same secret is shown to that browser until its first code confirms it
    (:func:`enable`), so reloading the page does not change what the app was
    given; no other session is shown it.
    """
    if user.totp_pending_secret is not None and user.totp_pending_key == _key_hash(key):
        return user.totp_pending_secret
    return None


def new_pending_secret(session: Session, user: User, key: str) -> str:
    """Make a new secret for the browser holding ``key`` to set up; it replaces any other."""
    user.totp_pending_secret, user.totp_pending_key = new_secret(), _key_hash(key)
    session.flush()
    return user.totp_pending_secret


def enable(session: Session, user: User, key: str, code: str) -> bool:
    """Turn two-factor login on with the secret the browser holding ``key`` sets up.

    Only if ``code`` is that secret's current code. It replaces any earlier
    secret, whose codes stop working.
    """
    secret = pending_secret(user, key)
    step = None if secret is None else matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    user.totp_pending_secret = user.totp_pending_key = None
    session.flush()
    audit.record(session, "user.two_factor_on", actor=user, target_user=user)
    return True


def disable(session: Session, user: User) -> None:
    """Turn two-factor login off for ``user``: logins ask only the password again."""
    user.totp_secret = user.totp_last_step = None
    user.totp_pending_secret = user.totp_pending_key = None
    session.flush()
    audit.record(session, "user.two_factor_off", actor=user, target_user=user)


def confirm_identity(session: Session, user: User, password: str, code: str) -> str | None:
    """Check, in a live session, that it is still ``user``: their password and a current code.

    Returns ``None`` when both are right (the code is then used up), else
    which was wrong first: ``"password"`` or ``"code"``. The code is only
    checked after a right password, so a wrong password spends no code.
    """
    if not verify_password(user.password_hash, password):
        return "password"
    return None if check_code(session, user, code) else "code"


def check_code(session: Session, user: User, code: str) -> bool:
    """Whether ``code`` is a code of ``user``'s not yet used; if so it is used up."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code, after=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    session.flush()
    return True


def code_message() -> str:
    """Say what a refused code was expected to be."""
    return gettext(
        "That code is not right. Enter the 6-digit code your authenticator app shows now."
    )
