"""The ledger's charges in the state store, through the payments sidecar."""

from collections.abc import Callable

from common.state import Document, Documents, compare_and_swap, read_document
from payments.ledger import Charge


class ChargeStore:
    def __init__(self, store: Documents) -> None:
        self._store = store

    async def get(self, charge_id: str) -> Charge | None:
        document = await read_document(self._store, _key(charge_id))
        return Charge.from_dict(document) if document else None

    async def change(self, charge_id: str, decide: Callable[[Charge | None], Charge]) -> Charge:
        """Applies `decide` to the stored charge (None when absent) and stores the result;
        concurrent calls for one order agree on one charge."""

        decided: list[Charge] = []

        def on_document(current: Document | None) -> Document | None:
            charge = decide(Charge.from_dict(current) if current else None)
            decided[:] = [charge]
            return None if charge.to_dict() == current else charge.to_dict()

        await compare_and_swap(self._store, _key(charge_id), on_document)
        return decided[0]


def _key(charge_id: str) -> str:
    return f"charge:{charge_id}"
