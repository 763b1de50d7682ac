"""Cross-site request forgery: every unsafe request to a page carries the token its page was
given, in the form field ``csrftoken`` or (htmx, see templates/base.html) the ``X-CSRFToken``
header, and the token is compared, in constant time, with the one this browser is owed:

- signed in: the token of the server-side session (``UserSession.csrf_token``), drawn anew
  with every session (sign-in, second factor, password change);
- signed out (the sign-in form, the second-factor step, an invitation, the language switch):
  the browser's own token, kept in the ``csrftoken`` cookie and signed with the secret key
  (a page sends it back in the form as well: a cross-site form has neither). A browser
  without the cookie is refused too, so nobody is signed in to an account of someone else's
  choosing (login CSRF).

The check is a dependency of every HTML router (``check``, app/main.py); the read-only JSON
API under ``/api/`` authenticates by bearer token and is not checked. Templates get the token
as ``csrftoken`` (app/web.py ``base_context``; app/rounds/fragments.py puts it into cached
regions per response) from the callable this module's middleware puts in the request scope.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.deps import current_signed_in
from app.accounts.service import SignedIn
from app.db import WRITE_METHODS

#: The form field, the header (htmx) and the cookie (signed out) that carry the token.
FIELD = "csrftoken"
HEADER = "x-csrftoken"
COOKIE = "csrftoken"
#: Where templates find the token: a callable in the request scope (asgi-csrf's convention).
SCOPE_KEY = "csrftoken"
_STATE_KEY = "tripartite.csrf"


class FormExpired(Exception):
    """A request without the token its page was given, or with another: answered 403 (a page
    saying the form has expired, or the same message for htmx), nothing done."""


def _signature(secret: bytes, nonce: str) -> str:
    digest = hmac.new(secret, b"tripartite csrf " + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_browser_token(secret: bytes) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(secret, nonce)}"


def is_signed(secret: bytes, token: str) -> bool:
    nonce, dot, signature = token.rpartition(".")
    return bool(dot and nonce) and hmac.compare_digest(
        signature.encode(), _signature(secret, nonce).encode()
    )


def same(sent: str, expected: str) -> bool:
    return hmac.compare_digest(sent.encode(), expected.encode())


class Tokens:
    """This request's tokens: the browser's (from its cookie, or drawn when a page first
    needs one) and, once the session is known, the session's."""

    def __init__(self, secret: bytes, cookie: str | None) -> None:
        self.secret = secret
        #: the browser's token, as its cookie brought it (None: no cookie, or not signed here)
        self.browser = cookie if cookie and is_signed(secret, cookie) else None
        #: a token drawn for this browser by this response (its cookie is set)
        self.drawn: str | None = None
        #: the signed-in session's token
        self.session: str | None = None

    def current(self) -> str:
        """The token the page being rendered carries."""
        if self.session is not None:
            return self.session
        if self.browser is None:
            self.browser = self.drawn = new_browser_token(self.secret)
        return self.browser


def tokens_of(request: Request) -> Tokens:
    tokens = request.scope.get(_STATE_KEY)
    if not isinstance(tokens, Tokens):  # the app without its middleware (app/main.py asgi)
        secret = request.app.state.settings.resolved_secret_key().encode()
        tokens = Tokens(secret, request.cookies.get(COOKIE))
        request.scope[_STATE_KEY] = tokens
        request.scope[SCOPE_KEY] = tokens.current
    return tokens


def session_renewed(request: Request, csrf_token: str) -> None:
    """A route that started a new session answers with its token from now on (the page it
    renders, a password change say; a redirect's next page gets it from the session)."""
    tokens_of(request).session = csrf_token


async def check(
    request: Request, signed: Annotated[SignedIn | None, Depends(current_signed_in)]
) -> None:
    """The token of every unsafe request (POST, PUT, PATCH, DELETE), in the header or the form
    (URL-encoded or multipart), against this browser's; and the token pages carry."""
    tokens = tokens_of(request)
    if signed is not None:
        tokens.session = signed.csrf_token
    if request.method not in WRITE_METHODS:
        return
    expected = signed.csrf_token if signed is not None else tokens.browser
    sent = request.headers.get(HEADER)
    if sent is None:
        value = (await request.form()).get(FIELD)  # parsed once: the route reads the same
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not same(sent, expected):
        raise FormExpired


class BrowserTokens:
    """Puts this request's tokens in its scope (templates call ``scope["csrftoken"]()``), and
    sets the ``csrftoken`` cookie when a page drew a token for a browser that had none."""

    def __init__(self, app: ASGIApp, secret: str, *, secure: bool = False) -> None:
        self.app = app
        self.secret = secret.encode()
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tokens = Tokens(self.secret, _cookie(scope, COOKIE))
        scope[_STATE_KEY] = tokens
        scope[SCOPE_KEY] = tokens.current

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and tokens.drawn is not None:
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if self.secure or scope.get("scheme") == "https" else ""
                headers.append(
                    "set-cookie",
                    f"{COOKIE}={tokens.drawn}; HttpOnly; Path=/; SameSite=Lax{secure}",
                )
            await send(message)

        await self.app(scope, receive, with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(name)
            if found:
                return found
    return None
