"""The caller's own account."""

from fastapi import APIRouter

from app.api.deps import CurrentUser
from app.api.models import UserView
from app.auth.errors import NotAuthenticated
from app.services import ServicesDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def me(user: CurrentUser, services: ServicesDep) -> UserView:
    account = await services.auth.user(user.id)
    if account is None:
        raise NotAuthenticated("the account is gone")
    return UserView.model_validate(account.to_document())
