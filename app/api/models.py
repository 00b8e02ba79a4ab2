"""Request and response bodies of the public API; requests refuse unknown fields."""

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH

T = TypeVar("T")

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
Sku = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
# Ids become actor ids and state keys: only characters every store and URL takes as they are.
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]
OrderIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Limit = Annotated[int, Query(ge=1, le=100)]
# Opaque: what the last page answered as `next_cursor`.
Cursor = Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemCreate(Request):
    sku: str = Sku
    name: str = Field(min_length=1, max_length=200)
    price_cents: int = Field(ge=0, le=100_000_000)
    stock: int = Field(ge=0, le=1_000_000)


class Restock(Request):
    quantity: int = Field(ge=1, le=1_000_000)


class ImageView(BaseModel):
    """An item's picture: GET /items/{sku}/image answers its bytes with `digest` as ETag."""

    content_type: str
    size: int
    digest: str
    updated_at: str


class ItemView(BaseModel):
    sku: str
    name: str
    price_cents: int
    available: int
    reserved: int
    image: ImageView | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class OrderLineIn(Request):
    sku: str = Sku
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(Request):
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    payment_token: str = Field(min_length=1, max_length=100)


class OrderLineView(BaseModel):
    sku: str
    quantity: int
    unit_price_cents: int


class TransitionView(BaseModel):
    status: str
    at: str
    reason: str | None


class OrderSummary(BaseModel):
    id: str
    customer_id: str
    status: str
    status_reason: str | None
    total_cents: int
    created_at: str


class OrderView(OrderSummary):
    lines: list[OrderLineView]
    history: list[TransitionView]


class SagaStep(BaseModel):
    step: str
    kind: str
    status: str
    started_at: str
    ended_at: str | None
    detail: str | None
    # How often it may run; `attempt` counts the tries the workflow made itself.
    max_attempts: int | None = None
    attempt: int = 1


class SagaView(BaseModel):
    order_id: str
    runtime_status: str
    current_step: str | None
    timeline: list[SagaStep]
    created_at: str
    last_updated_at: str
    failure: str | None
    finished: bool


Email = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Registration(Request):
    email: str = Email
    # The length is checked here; the policy (app/auth/passwords.py) says the rest.
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    name: str = Field(min_length=1, max_length=200)


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenView(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class UserView(BaseModel):
    id: str
    email: str
    name: str
    roles: list[str]
    created_at: str
