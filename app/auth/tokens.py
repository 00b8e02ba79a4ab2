"""Signed JWTs: short-lived access tokens and longer refresh tokens, HS256 with a key that
comes from the secret store."""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from app.settings import AuthSettings
from common.tenancy import DEFAULT_TENANT

ALGORITHM = "HS256"
VERIFIED_TOKENS = 10_000
TokenKind = Literal["access", "refresh"]
TENANT_CLAIM = "tenant"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    roles: frozenset[str]
    kind: TokenKind
    token_id: str
    issued_at: float
    expires_at: float
    # The tenant whose user this is; tokens of the default tenant carry no claim for it.
    tenant: str = DEFAULT_TENANT


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenSigner:
    def __init__(self, signing_key: str, settings: AuthSettings) -> None:
        if len(signing_key) < 32:
            raise ValueError("the JWT signing key must have at least 32 characters")
        self._key = signing_key
        self._settings = settings
        # Tokens already verified, by their text: a client sends the same one many times.
        self._verified: OrderedDict[tuple[str, TokenKind], TokenClaims] = OrderedDict()

    def issue_pair(
        self, user_id: str, roles: frozenset[str], tenant: str = DEFAULT_TENANT
    ) -> TokenPair:
        # Fractional issue times, so a logout and a new sign-in in the same second stay ordered.
        now = time.time()
        return TokenPair(
            access_token=self._sign(user_id, roles, tenant, "access", now),
            refresh_token=self._sign(user_id, roles, tenant, "refresh", now),
            expires_in=self._settings.access_token_seconds,
        )

    def decode(self, token: str, kind: TokenKind) -> TokenClaims:
        """The claims of a token this key signed, for `kind`, not expired; InvalidToken else.
        A token verified before is not verified again, only checked for expiry."""
        known = self._verified.get((token, kind))
        if known is not None:
            if known.expires_at > time.time():
                self._verified.move_to_end((token, kind))
                return known
            del self._verified[token, kind]
        claims = self._verify(token, kind)
        self._verified[token, kind] = claims
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str, kind: TokenKind) -> TokenClaims:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._settings.issuer,
                audience=kind,
                options={"require": ["sub", "exp", "iat", "jti", "aud", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return TokenClaims(
            user_id=claims["sub"],
            roles=frozenset(claims.get("roles", [])),
            kind=kind,
            token_id=claims["jti"],
            issued_at=float(claims["iat"]),
            expires_at=float(claims["exp"]),
            tenant=str(claims.get(TENANT_CLAIM, DEFAULT_TENANT)),
        )

    def _sign(
        self, user_id: str, roles: frozenset[str], tenant: str, kind: TokenKind, now: float
    ) -> str:
        lifetime = (
            self._settings.access_token_seconds
            if kind == "access"
            else self._settings.refresh_token_seconds
        )
        claims = {
            "iss": self._settings.issuer,
            # The audience names the kind, so a refresh token is never accepted as an access
            # token nor the other way round.
            "aud": kind,
            "sub": user_id,
            "roles": sorted(roles),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": int(now) + lifetime,
        }
        if tenant != DEFAULT_TENANT:
            claims[TENANT_CLAIM] = tenant
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)
