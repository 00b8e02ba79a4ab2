"""Accounts and tokens: register, sign in (OAuth2 password form), refresh, sign out."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import AuthDep, CurrentUser, ServicesDep, client_address, register_rate_limit
from app.api.models import RefreshRequest, Registration, TokenView, UserView
from app.auth.tokens import TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, dependencies=[Depends(register_rate_limit)])
async def register(body: Registration, auth: AuthDep) -> UserView:
    user = await auth.register(body.email, body.password, body.name)
    return UserView.model_validate(user.to_document())


@router.post("/token")
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    services: ServicesDep,
    request: Request,
    response: Response,
) -> TokenView:
    """Signs in with `username` (the e-mail address) and `password` as a form."""
    # Per address and account, so one client guessing at many accounts and many clients
    # guessing at one both run into it.
    client = f"{client_address(request)}|{form.username.strip().casefold()}"
    await services.rate_limits.hit(services.rate_limits.login, client)
    return _tokens(await services.auth.sign_in(form.username, form.password), response)


@router.post("/refresh")
async def refresh(body: RefreshRequest, auth: AuthDep, response: Response) -> TokenView:
    """Trades a refresh token for a new pair; the old refresh token is spent."""
    return _tokens(await auth.refresh(body.refresh_token), response)


@router.post("/logout", status_code=204)
async def logout(user: CurrentUser, auth: AuthDep) -> None:
    """Revokes every token of the caller, on every device."""
    await auth.sign_out(user)


def _tokens(pair: TokenPair, response: Response) -> TokenView:
    response.headers["Cache-Control"] = "no-store"
    return TokenView(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )
