"""Demo data: staff, Paris customers and a few weeks of orders, all written through the ledger.

Every order goes through the same ledger calls as a concierge's form, a provider's page and
Stripe's news would make, so its history and outbox rows are real. The data depend only on
the seed and the day of the run; the demo password is random and shown once.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub import accounts
from hub.db import business_zone, utcnow, write_transaction
from hub.ledger.actor import Actor
from hub.ledger.billing import apply_billing_news
from hub.ledger.catalogue import list_services
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.fulfilment import cancel_order, complete_order, schedule_order
from hub.ledger.invoicing import withdraw_waiting_invoice
from hub.ledger.order_access import get_order
from hub.ledger.orders import LineInput, OrderInput, create_order
from hub.models import Customer, Order, OrderEvent, OrderStatus, Role, Service, User

DOMAIN = "conciergerie.example"  # a reserved top-level domain: no mail ever leaves

#: role, e-mail, name. The admin's address marks the demo as present.
USERS: tuple[tuple[Role, str, str], ...] = (
    (Role.ADMIN, f"admin@{DOMAIN}", "Camille Laurent"),
    (Role.CONCIERGE, f"claire@{DOMAIN}", "Claire Dubois"),
    (Role.CONCIERGE, f"julien@{DOMAIN}", "Julien Moreau"),
    (Role.PROVIDER, f"karim@{DOMAIN}", "Karim Haddad"),
    (Role.PROVIDER, f"sophie@{DOMAIN}", "Sophie Lefèvre"),
    (Role.PROVIDER, f"thomas@{DOMAIN}", "Thomas Nguyen"),
)

CUSTOMERS: tuple[tuple[str, str], ...] = (
    ("Jeanne Martin", "14 rue des Martyrs, 75009 Paris"),
    ("Louis Bernard", "3 rue Oberkampf, 75011 Paris"),
    ("Chloé Petit", "27 avenue Parmentier, 75011 Paris"),
    ("Hugo Robert", "8 rue de Charonne, 75011 Paris"),
    ("Léa Richard", "52 rue du Faubourg Saint-Denis, 75010 Paris"),
    ("Nathan Durand", "11 rue Lepic, 75018 Paris"),
    ("Manon Leroy", "6 rue des Abbesses, 75018 Paris"),
    ("Lucas Garnier", "19 rue de Belleville, 75019 Paris"),
    ("Camille Simon", "41 rue de la Roquette, 75011 Paris"),
    ("Gabriel Faure", "2 place d'Aligre, 75012 Paris"),
    ("Inès Michel", "73 rue de Rivoli, 75004 Paris"),
    ("Arthur Garcia", "15 rue Mouffetard, 75005 Paris"),
    ("Zoé David", "9 rue du Bac, 75007 Paris"),
    ("Jules Bertrand", "30 rue Cler, 75007 Paris"),
    ("Alice Roux", "12 rue de Bretagne, 75003 Paris"),
    ("Raphaël Vincent", "5 rue Montorgueil, 75002 Paris"),
    ("Louise Fournier", "88 boulevard Voltaire, 75011 Paris"),
    ("Adam Morel", "21 rue Daguerre, 75014 Paris"),
    ("Emma Girard", "46 rue de la Convention, 75015 Paris"),
    ("Paul André", "17 rue de Passy, 75016 Paris"),
    ("Sarah Benali", "33 rue des Dames, 75017 Paris"),
    ("Mathis Mercier", "4 rue Ramponeau, 75020 Paris"),
    ("Juliette Blanc", "60 rue de Turenne, 75003 Paris"),
    ("Famille Chevalier", "25 quai de Valmy, 75010 Paris"),
    ("Victor et Anne Lambert", "10 rue Saint-Maur, 75011 Paris"),
)

CUSTOMER_NOTES = (
    "Digicode 4512B, 3e étage gauche.",
    "Clés chez la gardienne, loge au fond de la cour.",
    "Chat craintif : ne pas laisser les fenêtres ouvertes.",
    "Préfère être appelée plutôt qu'un SMS.",
)
ORDER_NOTES = (
    "Sonner deux fois, interphone capricieux.",
    "Meuble IKEA, notice sur place.",
    "Laisser le colis au voisin du 2e si absent.",
    "Apporter des sacs pour les courses.",
    "Prévoir l'escabeau.",
    "Croquettes dans le placard de l'entrée.",
)

#: How many orders follow each path: period, fulfilment path, billing outcome.
PLANS: tuple[tuple[int, str, str, str], ...] = (
    (40, "past", "done", "paid"),
    (12, "past", "done", "invoiced"),
    (6, "past", "done", "pending"),
    (6, "past", "done", "unbilled"),
    (5, "past", "done", "payment_failed"),
    (2, "past", "done", "uncollectible"),
    (2, "past", "cancelled_after_done", "credited"),
    (2, "past", "cancelled_after_done", "void"),
    (6, "past", "scheduled", "unbilled"),  # done but not yet marked so by the provider
    (8, "past", "cancelled_from_scheduled", "unbilled"),
    (3, "past", "cancelled_from_new", "unbilled"),
    (2, "past", "new", "unbilled"),
    (38, "future", "scheduled", "unbilled"),
    (8, "future", "new_with_time", "unbilled"),
    (6, "future", "new", "unbilled"),
    (4, "future", "cancelled_from_scheduled", "unbilled"),
)

#: The billing news Stripe would send, in order, to reach each outcome.
BILLING_NEWS: dict[str, tuple[str, ...]] = {
    "unbilled": (),
    "pending": ("pending",),
    "invoiced": ("pending", "invoiced"),
    "paid": ("pending", "invoiced", "paid"),
    "payment_failed": ("pending", "invoiced", "payment_failed"),
    "uncollectible": ("pending", "invoiced", "payment_failed", "uncollectible"),
    # Reached after the cancellation of a done order: invoice voided, or paid then credited.
    "void": ("pending", "invoiced"),
    "credited": ("pending", "invoiced", "paid"),
}

QUANTITIES_MILLI = {"hour": (1000, 1500, 2000, 2500, 3000), "unit": (1000, 2000, 3000)}


@dataclass(frozen=True)
class _Cast:
    concierges: list[User]
    providers: list[User]
    customers: list[Customer]
    services: list[Service]


def seed_demo(
    session: Session,
    progress: Callable[[str], None],
    *,
    passwords: accounts.Passwords,
    seed: int = 2026,
    now: datetime | None = None,
) -> str:
    """Add demo users, customers and orders once, in one transaction; return what to tell."""
    admin_email = USERS[0][1]
    password = _new_password()
    # Hashed before the transaction: argon2 is slow and must not hold SQLite's write lock.
    password_hash = passwords.hash(password)
    with write_transaction(session):
        if session.scalars(sa.select(User.id).where(User.email == admin_email)).first():
            return (
                f"Demo data was added before ({admin_email} exists); nothing added. Its "
                "password was shown then; `hub user create EMAIL --role admin` adds a new admin."
            )
        rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
        users = [
            accounts.create_user(session, email, role.value, name=name, password_hash=password_hash)
            for role, email, name in USERS
        ]
        progress(f"Demo data: {len(users)} users.")
        customers = [_customer(session, rng, name, address) for name, address in CUSTOMERS]
        progress(f"Demo data: {len(customers)} customers.")
        cast = _Cast(
            concierges=[u for u in users if u.role == Role.CONCIERGE],
            providers=[u for u in users if u.role == Role.PROVIDER],
            customers=customers,
            services=list_services(session),
        )
        moment = now or utcnow()
        plans = _schedule(rng, moment, business_zone(session))
        # A second generator for the history's times, so the orders stay those of the seed.
        clock = random.Random(seed + 1)  # noqa: S311 - reproducible sample data, not a secret
        _date_customers(session, customers, moment)
        for done, (when, fulfilment, billing) in enumerate(plans, start=1):
            order_id = _play(session, rng, cast, when, fulfilment, billing)
            _date_history(session, clock, order_id, when, moment)
            if done % 25 == 0 or done == len(plans):
                progress(f"Demo data: {done}/{len(plans)} orders.")
        # The times were set with plain updates: read them again rather than the ones in memory.
        session.flush()
        session.expire_all()
    width = max(len(email) for _, email, _ in USERS)
    accounts_text = "\n".join(
        f"  {role.value:<10} {email:<{width}}  {name}" for role, email, name in USERS
    )
    return (
        f"Demo data added: {len(users)} users, {len(customers)} customers, "
        f"{len(plans)} orders.\n"
        f"Sign in with any of these accounts and the password {password}\n"
        f"(the same for all six, shown only this once):\n{accounts_text}\n"
        "These accounts are for trying the hub out: use a fresh database for real work."
    )


def _new_password() -> str:
    # Unambiguous characters only: the password is read off a terminal and typed by hand.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _customer(session: Session, rng: random.Random, name: str, address: str) -> Customer:
    local = ".".join(_ascii(name).lower().replace("'", "").split()[-2:])
    email = (
        None
        if rng.random() < 0.2
        else f"{local}@{rng.choice(('example.com', 'example.net', 'example.org'))}"
    )
    phone = (
        None
        if rng.random() < 0.15
        else (f"0{rng.choice((6, 7))} " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4)))
    )
    notes = rng.choice(CUSTOMER_NOTES) if rng.random() < 0.2 else None
    data = CustomerInput.parse(
        {"name": name, "email": email, "phone": phone, "address": address, "notes": notes}
    )
    return create_customer(session, data)


def _schedule(rng: random.Random, now: datetime, zone: tzinfo) -> list[tuple[datetime, str, str]]:
    """Give every planned order a time: up to three weeks back, or up to two weeks ahead."""
    today = now.astimezone(zone).date()
    planned: list[tuple[datetime, str, str]] = []
    for count, period, fulfilment, billing in PLANS:
        for _ in range(count):
            offset = -rng.randint(1, 21) if period == "past" else rng.randint(0, 14)
            slot = time(rng.randint(8, 18), rng.choice((0, 30)))
            when = datetime.combine(today + timedelta(days=offset), slot, tzinfo=zone)
            if period == "future" and when <= now:
                when += timedelta(days=1)
            planned.append((when, fulfilment, billing))
    # Created in the order they happen, so references grow with the dates.
    planned.sort(key=lambda plan: plan[0])
    return planned


def _lines(rng: random.Random, services: list[Service]) -> tuple[LineInput, ...]:
    chosen = rng.sample(services, k=rng.choice((1, 1, 1, 2, 2, 3)))
    lines = []
    for service in chosen:
        quantity = rng.choice(QUANTITIES_MILLI.get(service.unit, (1000,)))
        # Now and then a negotiated price, 10 % off the catalogue's.
        price = service.unit_price_cents * 9 // 10 if rng.random() < 0.1 else None
        lines.append(LineInput(service.code, quantity, price))
    return tuple(lines)


def _play(
    session: Session,
    rng: random.Random,
    cast: _Cast,
    when: datetime,
    fulfilment: str,
    billing: str,
) -> int:
    """Take one order from creation to its planned fulfilment and billing states; return its id."""
    concierge = Actor.of(rng.choice(cast.concierges))
    provider = rng.choice(cast.providers)
    # Only customers with an e-mail can be billed (hub.ledger.billing.check_billable).
    people = [c for c in cast.customers if c.email or billing == "unbilled"]
    customer = rng.choices(people, weights=range(len(people), 0, -1))[0]
    timed = fulfilment != "new"
    assigned = fulfilment not in ("new", "new_with_time", "cancelled_from_new")
    # A quarter of the missions get their provider in a second step, as on the board.
    later = assigned and rng.random() < 0.25
    order = create_order(
        session,
        concierge,
        OrderInput(
            customer_id=customer.id,
            lines=_lines(rng, cast.services),
            scheduled_at=when if timed else None,
            provider_id=provider.id if assigned and not later else None,
            notes=rng.choice(ORDER_NOTES) if rng.random() < 0.3 else None,
        ),
    )
    ref = order.ref
    assert ref is not None
    if later:
        schedule_order(session, concierge, ref, when, provider.id)
    if fulfilment.startswith("cancelled_"):
        reason = rng.choice(("Client absent ce jour-là.", "Annulé par téléphone.", None))
        if fulfilment == "cancelled_after_done":
            complete_order(session, Actor.of(provider), ref)
            _billing(session, ref, BILLING_NEWS[billing])
            cancel_order(session, concierge, ref, reason)
            _billing(session, ref, (billing,))
        else:
            cancel_order(session, concierge, ref, reason)
        return order.id
    if fulfilment == "done":
        complete_order(session, Actor.of(provider), ref)
        _billing(session, ref, BILLING_NEWS[billing])
    return order.id


def _billing(session: Session, ref: str, news: tuple[str, ...]) -> None:
    if news:
        # The demo plays Stripe's news itself: the invoice it stands for never goes out.
        withdraw_waiting_invoice(session, get_order(session, ref))
    stripe = Actor.system("stripe")
    for target in news:
        apply_billing_news(session, stripe, ref, target)


# -- when things happened ------------------------------------------------------------------
#
# The ledger stamps every change with the moment it is made, so a freshly seeded demo would
# say that every order was taken, done and paid a minute ago ("71 done that day" on the first
# board). These move each order's story back to the weeks it covers: taken a few hours to a
# week before its time, done an hour or three after it, billed in the days after, and nothing
# later than the moment of seeding.


def _date_customers(session: Session, customers: list[Customer], now: datetime) -> None:
    """Have the customers arrive over the month before the demo's first order."""
    first = now - timedelta(days=30)
    for index, customer in enumerate(customers):
        at = first + timedelta(hours=7 * index)
        session.execute(
            sa.update(Customer)
            .where(Customer.id == customer.id)
            .values(created_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )


def _between(clock: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between start and end (start when end is not later), to the second."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=clock.randint(0, span)) if span > 0 else start


def _date_history(
    session: Session, clock: random.Random, order_id: int, when: datetime, now: datetime
) -> None:
    """Give one order's history, creation, completion and last change believable moments."""
    latest = now - timedelta(minutes=1)
    created = when - timedelta(minutes=clock.randint(120, 7 * 24 * 60))
    if created > latest - timedelta(minutes=15):
        # A mission for today or tomorrow was taken in the last few days.
        created = _between(clock, latest - timedelta(days=3), latest - timedelta(minutes=15))
    events = session.execute(
        sa.select(OrderEvent.id, OrderEvent.to_status)
        .where(OrderEvent.order_id == order_id)
        .order_by(OrderEvent.id)
    ).all()
    times = [created]
    completed: datetime | None = None
    for _event_id, to_status in events[1:]:
        previous = times[-1]
        if to_status == OrderStatus.DONE.value:
            # Done an hour or three after the mission's time, never before the order existed.
            at = max(previous, when + timedelta(minutes=clock.randint(60, 180)))
            completed = at
        elif completed is None:
            # Scheduled or cancelled before the mission: some time before it, or before now.
            at = _between(clock, previous, min(when, latest) - timedelta(minutes=5))
        else:
            # Billing news and late cancellations follow the completion over a few days.
            at = previous + timedelta(minutes=clock.randint(30, 3 * 24 * 60))
            if at > latest:
                # News still coming in: somewhere between the last step and now.
                at = _between(clock, previous, latest)
        times.append(min(max(at, previous), latest))
    if completed is not None:
        completed = min(completed, latest)
    for (event_id, _to_status), at in zip(events, times, strict=True):
        session.execute(
            sa.update(OrderEvent)
            .where(OrderEvent.id == event_id)
            .values(at=at)
            .execution_options(synchronize_session=False)
        )
    values: dict[str, datetime] = {"created_at": times[0], "updated_at": times[-1]}
    if completed is not None:
        values["completed_at"] = completed
    session.execute(
        sa.update(Order)
        .where(Order.id == order_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
