"""The caller's own account."""

from fastapi import APIRouter

from app.api.deps import AuthDep, CurrentUser
from app.api.models import UserView
from app.auth.errors import NotAuthenticated

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me")
async def me(user: CurrentUser, auth: AuthDep) -> UserView:
    account = await auth.user(user.id)
    if account is None:
        raise NotAuthenticated("the account is gone")
    return UserView.model_validate(account.to_document())
