"""Deterministic demo data for the shop: same seed, same rows, same timestamps.

Everything random comes from one ``random.Random(seed)``; every timestamp is derived from
``SEED_EPOCH``; every UUID is drawn from the same generator. Rows are written with
``bulk_create`` in dependency order. ``Seeder.run`` reports each stage to a callback so the
command can draw a progress bar.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from legacy_monolith.catalog.models import Category, PriceHistory, Product, Tag
from legacy_monolith.common.seed_sizes import SeedSize
from legacy_monolith.common.utils import money, seeded_moment
from legacy_monolith.customers.models import Address, Customer
from legacy_monolith.inventory.models import Reservation, StockItem, StockMovement, Warehouse
from legacy_monolith.notifications.models import Notification, NotificationTemplate
from legacy_monolith.orders.models import Cart, Order, OrderEvent, OrderLine
from legacy_monolith.payments.models import Payment, Refund
from legacy_monolith.reviews.models import Review, ReviewVote
from legacy_monolith.shipping.models import Carrier, Shipment

CUSTOMER_PASSWORD = "shop-demo-pass"
STAFF_PASSWORD = "staff-demo-pass"
#: Fixed salts keep the password hashes (and so a data dump) identical between runs.
_SALT = "seedshopsalt0001"

BATCH = 2000
# word lists: one table each
# fmt: off
ADJECTIVES = ["Classic", "Eco", "Smart", "Rugged", "Compact", "Deluxe", "Urban", "Nordic",
              "Vintage", "Pro", "Silent", "Bright", "Travel", "Family", "Mini", "Ultra"]
NOUNS = ["Kettle", "Backpack", "Lamp", "Headphones", "Mug", "Blender", "Jacket", "Notebook",
         "Speaker", "Chair", "Bottle", "Tent", "Watch", "Pan", "Scarf", "Drill", "Camera"]
CATEGORY_WORDS = ["Kitchen", "Outdoor", "Audio", "Office", "Fashion", "Tools", "Home", "Sport",
                  "Garden", "Toys", "Books", "Travel", "Lighting", "Bath", "Pets", "Tech"]
TAGS = ["new", "sale", "bestseller", "eco", "gift", "limited", "bundle", "premium", "budget",
        "handmade", "imported", "local"]
CITIES = [("BER", "Berlin", "DE"), ("HAM", "Hamburg", "DE"), ("MUC", "Munich", "DE"),
          ("VIE", "Vienna", "AT"), ("AMS", "Amsterdam", "NL"), ("LYS", "Lyon", "FR"),
          ("CGN", "Cologne", "DE"), ("GRZ", "Graz", "AT")]
STREETS = ["Hauptstrasse", "Bahnhofstrasse", "Gartenweg", "Lindenallee", "Marktplatz",
           "Schulstrasse", "Ringstrasse", "Bergweg"]
FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas",
         "Klara", "Leon", "Mia", "Noah", "Olga", "Paul"]
LAST = ["Becker", "Fischer", "Hoffmann", "Klein", "Meyer", "Neumann", "Richter", "Schmidt",
        "Schulz", "Wagner", "Weber", "Wolf"]
CARRIERS = [("PAKET", "Paket Express", "4.90", "0.80"), ("SPEED", "SpeedPost", "7.50", "0.40"),
            ("ECO", "EcoFreight", "3.20", "1.10")]
# fmt: on
TEMPLATES = [
    ("order_placed", "Thank you for your order {number}", "We received order {number}."),
    ("payment_receipt", "Receipt for order {number}", "We charged {amount} EUR for {number}."),
    ("order_status", "Order {number} is {status}", "Your order {number} is now {status}."),
]
STATUS_WEIGHTS = {"delivered": 50, "shipped": 15, "paid": 20, "cancelled": 10, "refunded": 5}
# fmt: off
SHIPMENT_STATUS = {"paid": "scheduled", "shipped": "dispatched", "delivered": "delivered",
                   "refunded": "delivered", "cancelled": "cancelled"}
# fmt: on

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _stamp(moment: datetime) -> dict[str, datetime]:
    return {"created_at": moment, "updated_at": moment}


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Seeder:
    size: SeedSize
    seed: int
    progress: Progress = lambda stage, done, total: None
    rng: random.Random = field(init=False)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- helpers -------------------------------------------------------------------------
    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _ref(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.getrandbits(40):010X}"

    def _moment(self, max_days: float = 1000) -> datetime:
        return seeded_moment(self.rng.uniform(0, max_days))

    def _create(self, stage: str, model, rows: list) -> list:
        created = []
        for chunk in _chunks(rows):
            created.extend(model.objects.bulk_create(chunk))
            self.progress(stage, len(created), len(rows))
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(created)
        return created

    # -- stages --------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.people()
        self.catalog()
        self.stock_and_orders()
        self.reviews()
        return self.counts

    def people(self) -> None:
        User = get_user_model()
        customer_hash = make_password(CUSTOMER_PASSWORD, salt=_SALT)
        users = [
            User(
                username="staff",
                email="staff@shop.example",
                is_staff=True,
                first_name="Sam",
                last_name="Staff",
                password=make_password(STAFF_PASSWORD, salt=_SALT),
                date_joined=seeded_moment(0),
            )
        ]
        for n in range(1, self.size.customers + 1):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            users.append(
                User(
                    username=f"customer{n:04d}",
                    email=f"customer{n:04d}@mail.example",
                    first_name=first,
                    last_name=last,
                    password=customer_hash,
                    date_joined=self._moment(300),
                )
            )
        users = self._create("users", User, users)
        customers = self._create(
            "customers",
            Customer,
            [
                Customer(
                    user=u,
                    phone=f"+49 30 {self.rng.randint(1000000, 9999999)}",
                    newsletter=self.rng.random() < 0.4,
                    **_stamp(u.date_joined),
                )
                for u in users
            ],
        )
        addresses = []
        for c in customers:
            for label in ("home", "work")[: self.rng.randint(1, 2)]:
                _code, city, country = self.rng.choice(CITIES)
                addresses.append(
                    Address(
                        customer=c,
                        label=label,
                        city=city,
                        country=country,
                        line1=f"{self.rng.choice(STREETS)} {self.rng.randint(1, 120)}",
                        postcode=f"{self.rng.randint(10000, 99999)}",
                        **_stamp(c.created_at),
                    )
                )
        addresses = self._create("addresses", Address, addresses)
        by_customer: dict[int, list[Address]] = {}
        for a in addresses:
            by_customer.setdefault(a.customer_id, []).append(a)
        for c in customers:
            c.default_address = by_customer[c.pk][0]
        Customer.objects.bulk_update(customers, ["default_address"], batch_size=BATCH)
        self._create("carts", Cart, [Cart(customer=c, **_stamp(c.created_at)) for c in customers])
        self.customers = customers[1:]  # the staff member does not shop in the seed
        self.addresses = by_customer

    def catalog(self) -> None:
        words = [f"{w} {n}" if n else w for n in range(0, 10) for w in CATEGORY_WORDS]
        categories = self._create(
            "categories",
            Category,
            [
                Category(
                    name=words[i],
                    slug=words[i].lower().replace(" ", "-"),
                    description=f"Everything {words[i].lower()}.",
                    **_stamp(seeded_moment(0)),
                )
                for i in range(self.size.categories)
            ],
        )
        tags = self._create("tags", Tag, [Tag(name=t) for t in TAGS])
        products = []
        for n in range(1, self.size.products + 1):
            name = f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)} {n}"
            moment = self._moment(200)
            products.append(
                Product(
                    sku=f"SKU-{n:06d}",
                    name=name,
                    description=f"The {name}, built to last.",
                    category=self.rng.choice(categories),
                    price=money(self.rng.uniform(2, 400)),
                    weight_kg=round(self.rng.uniform(0.1, 12.0), 3),
                    is_active=self.rng.random() > 0.03 or n <= 8,
                    **_stamp(moment),
                )
            )
        self.products = self._create("products", Product, products)
        Through = Product.tags.through
        self._create(
            "product tags",
            Through,
            [
                Through(product_id=p.pk, tag_id=t.pk)
                for p in self.products
                for t in self.rng.sample(tags, self.rng.randint(0, 3))
            ],
        )
        history = []
        for p in self.products:
            price = p.price
            for step in range(self.rng.randint(1, 3)):
                history.append(
                    PriceHistory(
                        product=p,
                        price=price,
                        reason="created" if step == 0 else "price change",
                        changed_at=seeded_moment(200 + 100 * step),
                    )
                )
                price = money(price * Decimal(str(round(self.rng.uniform(0.8, 1.2), 2))))
            if price != p.price:
                history[-1].price = p.price  # the last entry is the current price
        self._create("price history", PriceHistory, history)

    def stock_and_orders(self) -> None:
        warehouses = self._create(
            "warehouses",
            Warehouse,
            [
                Warehouse(
                    code=code,
                    name=f"{city} DC",
                    city=city,
                    country=country,
                    priority=i + 1,
                    **_stamp(seeded_moment(0)),
                )
                for i, (code, city, country) in enumerate(CITIES[: self.size.warehouses])
            ],
        )
        carriers = self._create(
            "carriers",
            Carrier,
            [
                Carrier(
                    code=c,
                    name=n,
                    base_rate=Decimal(b),
                    per_kg_rate=Decimal(k),
                    **_stamp(seeded_moment(0)),
                )
                for c, n, b, k in CARRIERS
            ],
        )
        templates = self._create(
            "templates",
            NotificationTemplate,
            [
                NotificationTemplate(code=c, subject=s, body=b, **_stamp(seeded_moment(0)))
                for c, s, b in TEMPLATES
            ],
        )
        # Plan stock in memory so that seeded "paid" orders can hold real reservations.
        stock: dict[tuple[int, int], StockItem] = {}
        for p in self.products:
            for w in warehouses:
                if self.rng.random() < 0.8 or w is warehouses[0]:
                    stock[(p.pk, w.pk)] = StockItem(
                        product=p,
                        warehouse=w,
                        quantity=self.rng.randint(20, 250),
                        reorder_level=self.rng.choice([5, 10, 20]),
                        **_stamp(seeded_moment(250)),
                    )
        plan = self._plan_orders(warehouses, stock)
        self._create("stock", StockItem, list(stock.values()))
        self._create(
            "stock movements",
            StockMovement,
            [
                StockMovement(
                    stock_item=s,
                    kind="receipt",
                    delta=s.quantity,
                    reason="initial stock",
                    created_at=s.created_at,
                )
                for s in stock.values()
            ],
        )
        self._write_orders(plan, stock, carriers, templates)

    def _plan_orders(self, warehouses, stock) -> list[dict]:
        statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
        low, high = self.size.lines_per_order
        plan = []
        for n in range(self.size.orders):
            customer = self.rng.choice(self.customers)
            status = self.rng.choices(statuses, weights)[0]
            products = self.rng.sample(
                self.products, min(len(self.products), self.rng.randint(low, high))
            )
            lines = [(p, self.rng.randint(1, 3)) for p in products]
            moment = seeded_moment(
                300 + 700 * n / max(1, self.size.orders), self.rng.randint(0, 3600)
            )
            holds = []
            if status == "paid":
                for p, qty in lines:
                    place = next(
                        (
                            stock[(p.pk, w.pk)]
                            for w in warehouses
                            if (p.pk, w.pk) in stock and stock[(p.pk, w.pk)].available >= qty
                        ),
                        None,
                    )
                    if place is None:
                        status, holds = "delivered", []
                        break
                    holds.append((p, qty, place))
                for _, qty, place in holds:
                    place.reserved += qty
            plan.append(
                {
                    "customer": customer,
                    "status": status,
                    "lines": lines,
                    "moment": moment,
                    "holds": holds,
                }
            )
        return plan

    def _write_orders(self, plan, stock, carriers, templates) -> None:
        orders = []
        for item in plan:
            address = self.rng.choice(self.addresses[item["customer"].pk])
            subtotal = money(sum(p.price * q for p, q in item["lines"]))
            shipping = Decimal(0) if subtotal >= 150 else money(self.rng.uniform(3, 15))
            orders.append(
                Order(
                    number=self._uuid(),
                    customer=item["customer"],
                    status=item["status"],
                    shipping_address=address,
                    shipping_address_text=address.one_line(),
                    subtotal=subtotal,
                    shipping_cost=shipping,
                    tax=money(subtotal / 6),
                    total=subtotal + shipping,
                    placed_at=item["moment"],
                    **_stamp(item["moment"]),
                )
            )
        orders = self._create("orders", Order, orders)
        self._create(
            "order lines",
            OrderLine,
            [
                OrderLine(
                    order=o,
                    product=p,
                    product_name=p.name,
                    quantity=q,
                    unit_price=p.price,
                    line_total=money(p.price * q),
                )
                for o, item in zip(orders, plan, strict=True)
                for p, q in item["lines"]
            ],
        )
        events, payments, shipments, notes, holds = [], [], [], [], []
        placed = {t.code: t for t in templates}["order_placed"]
        for o, item in zip(orders, plan, strict=True):
            events.append(OrderEvent(order=o, kind="placed", created_at=o.created_at))
            if o.status != "paid":
                events.append(OrderEvent(order=o, kind=o.status, created_at=o.created_at))
            payments.append(
                Payment(
                    order=o,
                    transaction_id=self._uuid(),
                    method="card",
                    amount=o.total,
                    **_stamp(o.created_at),
                )
            )
            carrier = self.rng.choice(carriers)
            shipments.append(
                Shipment(
                    order=o,
                    carrier=carrier,
                    status=SHIPMENT_STATUS[o.status],
                    tracking_number=self._ref("TRK"),
                    weight_kg=round(sum(p.weight_kg * q for p, q in item["lines"]), 3),
                    cost=o.shipping_cost,
                    warehouse_id=None,
                    scheduled_for=o.created_at,
                    **_stamp(o.created_at),
                )
            )
            notes.append(
                Notification(
                    customer=o.customer,
                    template=placed,
                    order=o,
                    subject=f"Thank you for your order {o.number}",
                    body=f"We received order {o.number}.",
                    read_at=o.created_at if self.rng.random() < 0.5 else None,
                    **_stamp(o.created_at),
                )
            )
            holds.extend(
                Reservation(
                    product=p,
                    stock_item=place,
                    quantity=q,
                    order=o,
                    customer=o.customer,
                    **_stamp(o.created_at),
                )
                for p, q, place in item["holds"]
            )
        self._create("order events", OrderEvent, events)
        payments = self._create("payments", Payment, payments)
        refunds = []
        for pay in payments:
            if pay.order.status in ("cancelled", "refunded"):
                pay.status, pay.refunded_amount = "refunded", pay.amount
                refunds.append(
                    Refund(
                        payment=pay,
                        amount=pay.amount,
                        reason="seeded refund",
                        reference=self._ref("REF"),
                        **_stamp(pay.created_at),
                    )
                )
        Payment.objects.bulk_update(
            [p for p in payments if p.status == "refunded"],
            ["status", "refunded_amount"],
            batch_size=BATCH,
        )
        self._create("refunds", Refund, refunds)
        self._create("shipments", Shipment, shipments)
        self._create("notifications", Notification, notes)
        self._create("reservations", Reservation, holds)

    def reviews(self) -> None:
        pairs: set[tuple[int, int]] = set()
        rows = []
        target = min(self.size.reviews, len(self.products) * len(self.customers))
        while len(rows) < target:
            product, author = self.rng.choice(self.products), self.rng.choice(self.customers)
            if (product.pk, author.pk) in pairs:
                continue
            pairs.add((product.pk, author.pk))
            rating = self.rng.choices([1, 2, 3, 4, 5], [5, 7, 15, 35, 38])[0]
            rows.append(
                Review(
                    product=product,
                    author=author,
                    rating=rating,
                    title=f"{['Meh', 'Okay', 'Good', 'Great', 'Superb'][rating - 1]}",
                    body="Seeded review.",
                    verified_purchase=self.rng.random() < 0.6,
                    helpful_count=0,
                    **_stamp(self._moment(1000)),
                )
            )
        reviews = self._create("reviews", Review, rows)
        votes = []
        for r in reviews:
            how_many = min(len(self.customers), self.rng.randint(0, 3))
            voters = self.rng.sample(self.customers, how_many)
            voters = [v for v in voters if v.pk != r.author_id]
            r.helpful_count = len(voters)
            votes.extend(ReviewVote(review=r, voter=v, created_at=r.created_at) for v in voters)
        Review.objects.bulk_update(reviews, ["helpful_count"], batch_size=BATCH)
        self._create("review votes", ReviewVote, votes)
        ratings: dict[int, list[int]] = {}
        for r in reviews:
            ratings.setdefault(r.product_id, []).append(r.rating)
        for p in self.products:
            got = ratings.get(p.pk, [])
            p.rating_count = len(got)
            p.rating_avg = round(sum(got) / len(got), 3) if got else None
        Product.objects.bulk_update(self.products, ["rating_avg", "rating_count"], batch_size=BATCH)
