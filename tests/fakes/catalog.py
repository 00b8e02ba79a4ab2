"""The actors as the API sees them (actors.clients' Protocols), in memory over the real
domain: an item refuses to oversell, an order moves only forward, exactly as the actors do."""

from collections.abc import Callable

from actors.inventory import image_meta, item_view
from actors.messages import (
    ImageMeta,
    ImageShown,
    ItemDefinition,
    ItemView,
    OrderView,
    PlaceOrder,
    StockChange,
)
from actors.order import order_view
from actors.outcome import Refused
from domain import order as model
from domain.catalog import Image, Item
from domain.errors import Conflict, DomainError, NotFound


def _refused(error: DomainError) -> Refused:
    return Refused(type(error).__name__, str(error))


class FakeInventory:
    def __init__(self) -> None:
        self.items: dict[str, Item] = {}
        # Set to an exception to make every call fail with it (a sidecar that went away).
        self.failing: Exception | None = None
        # Set to make only ShowImage fail: a refusal, or a turn that did not answer.
        self.failing_show: Exception | None = None

    async def create(self, sku: str, definition: ItemDefinition) -> ItemView:
        self._maybe_fail()
        wanted = Item.create(
            sku,
            definition["name"],
            definition["price_cents"],
            definition["stock"],
            definition["low_stock_threshold"],
        )
        existing = self.items.setdefault(sku, wanted)
        if not existing.same_definition(wanted):
            raise _refused(Conflict(f"item {sku} exists with another name or price"))
        return item_view(existing)

    async def get(self, sku: str) -> ItemView | None:
        self._maybe_fail()
        item = self.items.get(sku)
        return item_view(item) if item else None

    async def reserve(self, sku: str, order_id: str, quantity: int) -> StockChange:
        return self._change(sku, lambda item: item.stock.reserve(order_id, quantity))

    async def release(self, sku: str, order_id: str) -> StockChange:
        return self._change(sku, lambda item: item.stock.release(order_id))

    async def commit(self, sku: str, order_id: str) -> StockChange:
        return self._change(sku, lambda item: item.stock.commit(order_id))

    async def restock(self, sku: str, quantity: int, ref: str) -> StockChange:
        return self._change(sku, lambda item: item.stock.restock(quantity, ref))

    async def show_image(self, sku: str, image: ImageMeta) -> ImageShown:
        self._maybe_fail()
        if self.failing_show is not None:
            raise self.failing_show
        item = self.items.get(sku)
        if item is None:
            raise _refused(NotFound(f"no item {sku}"))
        replaced = item.show(Image(**image))
        return {"item": item_view(item), "replaced": image_meta(replaced)}

    def _change(self, sku: str, change: Callable[[Item], int]) -> StockChange:
        self._maybe_fail()
        item = self.items.get(sku)
        if item is None:
            raise _refused(NotFound(f"no item {sku}"))
        try:
            result = change(item)
        except DomainError as error:
            raise _refused(error) from error
        return {"result": result, "item": item_view(item)}

    def _maybe_fail(self) -> None:
        if self.failing is not None:
            raise self.failing


class FakeOrders:
    def __init__(self) -> None:
        self.orders: dict[str, model.Order] = {}

    async def place(self, order_id: str, request: PlaceOrder) -> OrderView:
        lines = [model.OrderLine(**line) for line in request["lines"]]
        existing = self.orders.get(order_id)
        if existing is not None:
            if (existing.customer_id, existing.lines) != (request["customer_id"], lines):
                raise _refused(Conflict(f"order {order_id} exists with other lines"))
            return order_view(existing)
        try:
            order = model.Order.place(order_id, request["customer_id"], lines, request["at"])
        except DomainError as error:
            raise _refused(error) from error
        self.orders[order_id] = order
        return order_view(order)

    async def get(self, order_id: str) -> OrderView | None:
        order = self.orders.get(order_id)
        return order_view(order) if order else None

    async def confirm(self, order_id: str, at: str) -> OrderView:
        return self._move(order_id, lambda order: order.confirm(at))

    async def cancel(self, order_id: str, reason: str, at: str) -> OrderView:
        return self._move(order_id, lambda order: order.cancel(reason, at))

    def _move(self, order_id: str, move: Callable[[model.Order], None]) -> OrderView:
        order = self.orders.get(order_id)
        if order is None:
            raise _refused(NotFound(f"no order {order_id}"))
        try:
            move(order)
        except DomainError as error:
            raise _refused(error) from error
        return order_view(order)
