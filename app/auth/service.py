"""Signing up, signing in, refreshing, signing out and checking access tokens."""

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from app.auth.errors import EmailTaken, InvalidCredentials, NotAuthenticated
from app.auth.passwords import Passwords, check_policy
from app.auth.revocations import Revocations
from app.auth.tokens import InvalidToken, TokenClaims, TokenKind, TokenPair, TokenSigner
from app.auth.users import User, UserStore, normalize_email, user_id_for
from common.tenancy import DEFAULT_TENANT

log = logging.getLogger(__name__)

CUSTOMER = "customer"
ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as its access token says."""

    id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles


class Authenticator:
    """One tenant's accounts: its users, its revocations, and tokens that name the tenant, so
    a token is good only for requests to the tenant that issued it."""

    def __init__(
        self,
        users: UserStore,
        revocations: Revocations,
        signer: TokenSigner,
        passwords: Passwords | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> None:
        self._users = users
        self._revocations = revocations
        self._signer = signer
        self._passwords = passwords or Passwords()
        self._tenant = tenant

    async def register(
        self, email: str, password: str, name: str, roles: frozenset[str] = frozenset({CUSTOMER})
    ) -> User:
        check_policy(password, email)
        # Argon2 is deliberately slow: hash off the event loop.
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        user = User(
            id=user_id_for(email),
            email=normalize_email(email),
            name=name,
            roles=roles,
            password_hash=password_hash,
            created_at=datetime.now(UTC).isoformat(),
        )
        if not await self._users.add(user):
            raise EmailTaken("an account exists for this e-mail address")
        return user

    async def ensure_admin(self, email: str, password: str) -> None:
        """The bootstrap administrator from the secret store; nothing happens once it exists."""
        try:
            await self.register(email, password, "Administrator", frozenset({ADMIN, CUSTOMER}))
            log.info("created the bootstrap administrator")
        except EmailTaken:
            pass

    async def sign_in(self, email: str, password: str) -> TokenPair:
        user = await self._users.by_email(email)
        known_hash = user.password_hash if user else None
        verified = await asyncio.to_thread(self._passwords.verify, known_hash, password)
        if not verified or user is None:
            raise InvalidCredentials("wrong e-mail address or password")
        return self._signer.issue_pair(user.id, user.roles, self._tenant)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotates the pair. A refresh token works once: presenting a spent one means it was
        stolen or replayed, so every token of that user is revoked."""
        claims = await self._valid_claims(refresh_token, "refresh")
        if not await self._revocations.use_refresh_token(claims.token_id):
            await self._revocations.revoke_all(claims.user_id, time.time())
            log.warning("a spent refresh token was presented again; revoked the user's tokens")
            raise NotAuthenticated("this refresh token was already used")
        user = await self._users.get(claims.user_id)
        if user is None:
            raise NotAuthenticated("the account is gone")
        return self._signer.issue_pair(user.id, user.roles, self._tenant)

    async def sign_out(self, principal: Principal) -> None:
        await self._revocations.revoke_all(principal.id, time.time())

    async def principal(self, access_token: str) -> Principal:
        claims = await self._valid_claims(access_token, "access")
        return Principal(claims.user_id, claims.roles)

    def subject(self, authorization: str) -> str:
        """Whose request this is, for per-caller rate limits: the signed subject of a bearer
        token, else "anonymous". Revocation is the route's business."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                claims = self._signer.decode(token, "access")
            except InvalidToken:
                return "anonymous"
            if claims.tenant == self._tenant:
                return claims.user_id
        return "anonymous"

    async def caller(self, authorization: str) -> str | None:
        """The user an `Authorization` header proves now (valid, unexpired, not revoked), or
        None without one; any other credentials raise NotAuthenticated."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("only bearer tokens are accepted")
        return (await self.principal(token)).id

    async def user(self, user_id: str) -> User | None:
        return await self._users.get(user_id)

    async def _valid_claims(self, token: str, kind: TokenKind) -> TokenClaims:
        try:
            claims = self._signer.decode(token, kind)
        except InvalidToken as error:
            raise NotAuthenticated(f"the token is not valid: {error}") from error
        if claims.tenant != self._tenant:
            # Before anything is read: another tenant's token opens nothing here.
            raise NotAuthenticated("the token was issued for another tenant")
        revoked_before = await self._revocations.revoked_before(claims.user_id)
        if revoked_before is not None and claims.issued_at <= revoked_before:
            raise NotAuthenticated("the token was revoked")
        return claims
