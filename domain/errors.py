"""Every error the domain raises; the web layer maps them to problem details in one place."""


class DomainError(Exception):
    """A rule of the domain refused the operation; nothing changed."""


class InvalidOrder(DomainError):
    pass


class OutOfStock(DomainError):
    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: {requested} requested, {available} available")
        self.sku, self.requested, self.available = sku, requested, available


class ReservationClosed(DomainError):
    """The order's reservation was already released or committed; it cannot be made again."""


class NotReserved(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


class NotFound(DomainError):
    """The item or order does not exist."""


class Conflict(DomainError):
    """The same key was used before for something else: another item definition, other order
    lines, another quantity for the same shipment."""
