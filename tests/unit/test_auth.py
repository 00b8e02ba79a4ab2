"""Passwords and tokens, without a sidecar."""

import asyncio
import time

import jwt
import pytest

from app.auth.errors import NotAuthenticated, WeakPassword
from app.auth.passwords import Passwords, check_policy
from app.auth.revocations import Revocations
from app.auth.service import Authenticator
from app.auth.tokens import ALGORITHM, InvalidToken, TokenSigner
from app.auth.users import UserStore, normalize_email, user_id_for
from app.settings import AuthSettings
from common.memory_state import MemoryDocuments
from common.tenancy import DEFAULT_TENANT, tenant_documents

KEY = "k" * 48


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("short", "ada@example.com"),
        ("x" * 129, "ada@example.com"),
        ("ada@example.com", "ada@example.com"),
        ("my-ADA.LOVELACE-password", "ada.lovelace@example.com"),
    ],
)
def test_the_policy_refuses_short_long_and_email_passwords(password: str, email: str) -> None:
    with pytest.raises(WeakPassword):
        check_policy(password, email)


def test_the_policy_accepts_a_long_enough_unrelated_password() -> None:
    check_policy("correct horse battery", "ada@example.com")


def test_a_hash_verifies_only_its_password() -> None:
    passwords = Passwords()
    stored = passwords.hash("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")
    assert not passwords.verify(None, "correct horse battery")
    assert not passwords.verify("not a hash", "anything")


def test_one_account_per_address_whatever_its_case_or_spaces() -> None:
    assert user_id_for(" Ada@Example.COM ") == user_id_for("ada@example.com")
    assert normalize_email(" Ada@Example.COM ") == "ada@example.com"
    assert user_id_for("ada@example.com") != user_id_for("bob@example.com")


def test_an_access_token_carries_the_user_and_roles() -> None:
    signer = TokenSigner(KEY, AuthSettings())
    pair = signer.issue_pair("u_1", frozenset({"customer"}))

    claims = signer.decode(pair.access_token, "access")

    assert (claims.user_id, claims.roles, claims.kind) == ("u_1", frozenset({"customer"}), "access")
    assert pair.expires_in == AuthSettings().access_token_seconds


def test_a_refresh_token_is_not_an_access_token_nor_the_reverse() -> None:
    signer = TokenSigner(KEY, AuthSettings())
    pair = signer.issue_pair("u_1", frozenset({"customer"}))

    with pytest.raises(InvalidToken):
        signer.decode(pair.refresh_token, "access")
    with pytest.raises(InvalidToken):
        signer.decode(pair.access_token, "refresh")


def test_expired_tampered_and_foreign_tokens_are_refused() -> None:
    settings = AuthSettings()
    signer = TokenSigner(KEY, settings)
    now = time.time()
    claims = {"iss": settings.issuer, "aud": "access", "sub": "u_1", "jti": "j", "iat": now}
    expired = jwt.encode({**claims, "exp": int(now) - 1}, KEY, algorithm=ALGORITHM)
    foreign = jwt.encode({**claims, "exp": int(now) + 60}, "f" * 48, algorithm=ALGORITHM)
    unsigned = jwt.encode({**claims, "exp": int(now) + 60}, None, algorithm="none")
    good = signer.issue_pair("u_1", frozenset()).access_token
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

    for token in (expired, foreign, unsigned, tampered, "not a token"):
        with pytest.raises(InvalidToken):
            signer.decode(token, "access")


def test_a_short_signing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 characters"):
        TokenSigner("short", AuthSettings())


def test_a_token_names_its_tenant_and_the_default_tenant_s_names_none() -> None:
    signer = TokenSigner(KEY, AuthSettings())
    acme = signer.issue_pair("u_1", frozenset(), "acme").access_token
    default = signer.issue_pair("u_1", frozenset()).access_token

    assert signer.decode(acme, "access").tenant == "acme"
    assert jwt.decode(acme, options={"verify_signature": False})["tenant"] == "acme"
    assert signer.decode(default, "access").tenant == DEFAULT_TENANT
    assert "tenant" not in jwt.decode(default, options={"verify_signature": False})


def test_another_tenant_s_token_opens_nothing_and_reads_nothing() -> None:
    signer = TokenSigner(KEY, AuthSettings())
    store = MemoryDocuments()

    def authenticator(tenant: str) -> Authenticator:
        scoped = tenant_documents(store, tenant)
        revocations = Revocations(scoped, 60)
        return Authenticator(UserStore(scoped), revocations, signer, tenant=tenant)

    acme, globex = authenticator("acme"), authenticator("globex")
    pair = signer.issue_pair("u_1", frozenset({"customer"}), "acme")

    async def scenario() -> None:
        assert (await acme.principal(pair.access_token)).id == "u_1"
        reads = store.reads
        with pytest.raises(NotAuthenticated, match="another tenant"):
            await globex.principal(pair.access_token)
        with pytest.raises(NotAuthenticated, match="another tenant"):
            await globex.refresh(pair.refresh_token)
        assert store.reads == reads
        assert globex.subject(f"Bearer {pair.access_token}") == "anonymous"
        assert acme.subject(f"Bearer {pair.access_token}") == "u_1"

    asyncio.run(scenario())
    assert store.documents == {}
