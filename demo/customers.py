"""The store's customers and their orders: what the order tools look up.

Eight shoppers with a few hand-written orders each, and three club accounts that order in
bulk (their many orders are generated from a fixed seed, so they never change between runs).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

# What the store sells, with list prices in USD.
CATALOG = {
    "Trailblazer 40L Pack": 149.00,
    "Summit GPS Watch": 249.00,
    "Beacon 400 Headlamp": 34.95,
    "Ridge Trekking Poles": 64.90,
    "Alpine 2P Tent": 329.00,
    "Stormshell Rain Jacket": 179.00,
    "Merino Base Layer": 79.00,
    "Volt 10k Power Bank": 39.95,
    "Ember Camp Stove": 59.00,
    "Cascade Hiking Boots": 189.00,
    "Pocket Water Filter": 44.95,
    "Down Sleeping Bag": 259.00,
}
TODAY = date(2025, 10, 6)  # the simulated "today", so order ages and delivery dates stay fixed


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    placed: date
    status: str  # processing, shipped, delivered, backordered
    items: tuple[tuple[str, int], ...]  # (product, quantity)
    destination: str
    method: str = "standard"  # or "express"

    @property
    def total(self) -> float:
        return round(sum(CATALOG[product] * quantity for product, quantity in self.items), 2)

    def as_record(self) -> dict[str, object]:
        """What the order service answers: plain JSON."""
        return {
            "order_id": self.id,
            "status": self.status,
            "placed": self.placed.isoformat(),
            "items": [{"product": product, "quantity": quantity} for product, quantity in self.items],
            "total_usd": self.total,
            "destination": self.destination,
            "shipping_method": self.method,
        }


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str
    city: str
    plus_member: bool = False
    bulk: bool = False  # a club account with many orders: the source of the long traces
    orders: tuple[Order, ...] = field(default=(), repr=False)


# An order as written below: (number, days ago, status, {product: quantity}, shipping method).
OrderRow = tuple[int, int, str, dict[str, int], str]


def _shopper(customer_id: str, name: str, city: str, rows: tuple[OrderRow, ...], plus_member: bool = False) -> Customer:
    orders = tuple(
        Order(f"NP-{number}", customer_id, TODAY - timedelta(days=days_ago), status, tuple(items.items()), city, method)
        for number, days_ago, status, items, method in rows
    )
    return Customer(customer_id, name, f"{customer_id}@example.com", city, plus_member=plus_member, orders=orders)


SHOPPERS = (
    _shopper("maya.chen", "Maya Chen", "Denver", plus_member=True, rows=(
        (10417, 3, "shipped", {"Summit GPS Watch": 1}, "express"),
        (10388, 40, "delivered", {"Beacon 400 Headlamp": 2, "Volt 10k Power Bank": 1}, "standard"),
    )),
    _shopper("luis.ortega", "Luis Ortega", "Austin", rows=(
        (10432, 1, "processing", {"Alpine 2P Tent": 1, "Ember Camp Stove": 1}, "standard"),
        (10301, 16, "delivered", {"Cascade Hiking Boots": 1}, "standard"),
    )),
    _shopper("priya.nair", "Priya Nair", "Seattle", plus_member=True, rows=(
        (10425, 5, "shipped", {"Stormshell Rain Jacket": 1, "Merino Base Layer": 2}, "standard"),
        (10212, 420, "delivered", {"Summit GPS Watch": 1}, "standard"),
    )),
    _shopper("tom.becker", "Tom Becker", "Chicago", rows=(
        (10419, 9, "backordered", {"Down Sleeping Bag": 1}, "standard"),
        (10355, 22, "delivered", {"Ridge Trekking Poles": 1, "Pocket Water Filter": 1}, "standard"),
    )),
    _shopper("hannah.okafor", "Hannah Okafor", "Boston", rows=(
        (10436, 2, "shipped", {"Trailblazer 40L Pack": 1}, "express"),
        (10198, 510, "delivered", {"Beacon 400 Headlamp": 1}, "standard"),
    )),
    _shopper("sam.whitfield", "Sam Whitfield", "Portland", rows=(
        (10428, 12, "shipped", {"Cascade Hiking Boots": 1, "Merino Base Layer": 1}, "standard"),
    )),
    _shopper("elena.petrova", "Elena Petrova", "Toronto", rows=(
        (10422, 6, "shipped", {"Trailblazer 40L Pack": 1, "Pocket Water Filter": 2}, "standard"),
        (10366, 28, "delivered", {"Stormshell Rain Jacket": 1}, "standard"),
    )),
    _shopper("kenji.watanabe", "Kenji Watanabe", "San Diego", plus_member=True, rows=(
        (10439, 0, "processing", {"Volt 10k Power Bank": 3, "Beacon 400 Headlamp": 3}, "standard"),
        (10340, 25, "delivered", {"Alpine 2P Tent": 1}, "standard"),
    )),
)  # fmt: skip

# Club accounts and how many orders each has placed: 110 to 200 lookups in one request.
_CLUBS = (
    ("boulder.youth", "Boulder Youth Adventures", "Boulder", 110),
    ("trailhead.club", "Trailhead Outdoor Club", "Salt Lake City", 150),
    ("redwood.guides", "Redwood Guides Co.", "Sacramento", 200),
)
_STATUSES = ("delivered", "delivered", "delivered", "shipped", "shipped", "processing", "backordered")


def _club(customer_id: str, name: str, city: str, count: int, first_number: int) -> Customer:
    # Seeded by the account, not by the demo's seed: a club's order history is a fixed fact.
    rng = random.Random(customer_id)
    products = sorted(CATALOG)
    orders = tuple(
        Order(
            f"NP-{first_number + index}",
            customer_id,
            TODAY - timedelta(days=rng.randint(0, 90)),
            rng.choice(_STATUSES),
            tuple((product, rng.randint(2, 12)) for product in rng.sample(products, rng.randint(1, 3))),
            city,
        )
        for index in range(count)
    )
    return Customer(
        customer_id, name, f"orders@{customer_id.split('.', maxsplit=1)[0]}.example.org", city, bulk=True, orders=orders
    )


CLUBS = tuple(_club(*club, first_number=20000 + 1000 * index) for index, club in enumerate(_CLUBS))
CUSTOMERS = {customer.id: customer for customer in (*SHOPPERS, *CLUBS)}


@functools.cache
def order_book() -> dict[str, Order]:
    """Every order by its id."""
    return {order.id: order for customer in CUSTOMERS.values() for order in customer.orders}
