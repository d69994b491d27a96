"""DESIGN §4's order lifecycle events, built by hand from what the monolith answers about an
order: what its outbox records for the same changes (the tests build them so that the
service is checked against the contract, not against the producer's code)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


class OrderEvents:
    """One order's events, each with the next per-entity version (1, 2, ...)."""

    def __init__(self, order: dict[str, Any], origin: str = "monolith") -> None:
        self.order = order
        self.origin = origin
        self.version = 0

    @property
    def about(self) -> dict[str, Any]:
        return {
            "order_id": self.order["id"],
            "number": self.order["number"],
            "customer_id": self.order["customer"],
        }

    def event(self, type_: str, **payload: Any) -> dict[str, Any]:
        self.version += 1
        return {
            "id": str(uuid.uuid4()),
            "aggregatetype": "order",
            "aggregateid": str(self.order["id"]),
            "type": type_,
            "version": self.version,
            "origin": self.origin,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "payload": {**self.about, **payload},
            "headers": {},
        }

    def placed(self, username: str) -> dict[str, Any]:
        lines = [
            {
                "product_id": line["product"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
            }
            for line in self.order["lines"]
        ]
        return self.event(
            "order.placed",
            user_id=None,
            username=username,
            email=f"{username}@example.com",
            status="placed",
            total=self.order["total"],
            placed_at=self.order["placed_at"],
            lines=lines,
        )

    def status_changed(self, status: str) -> dict[str, Any]:
        return self.event("order.status_changed", status=status)

    def payment_captured(self, payment: dict[str, Any]) -> dict[str, Any]:
        return self.event("payment.captured", amount=payment["amount"], method=payment["method"])

    def cancelled(self) -> dict[str, Any]:
        return self.event("order.cancelled")

    def payment_refunded(self, payment: dict[str, Any]) -> dict[str, Any]:
        return self.event("payment.refunded", amount=payment["amount"], reference="REF-TEST")

    def shipment_sent(self, shipment: dict[str, Any]) -> dict[str, Any]:
        return self.event(
            "shipment.sent",
            tracking_number=shipment["tracking_number"],
            carrier=shipment.get("carrier"),
        )

    def checkout(self, username: str, payment: dict[str, Any]) -> list[dict[str, Any]]:
        """What checkout records: placed, paid (a status change), the payment."""
        return [self.placed(username), self.status_changed("paid"), self.payment_captured(payment)]
