"""The triggers that keep the impact counts (`netdesk.noc.models.impact`)
and the rebuild that counts them again from the services.

Triggers, not the services that write: services are written by the
inventory import, bulk loads, the admin, tests' factories and raw SQL, and a
count that one writer forgets is wrong until someone notices. A trigger
runs for every one of them, in the writer's transaction, on SQLite and on
PostgreSQL alike.

What they keep, per active service with an access element (e, c = its
element and customer):
- noc_impactpair (e, c): services += 1; the first one inserts the pair, the
  last one gone deletes it;
- a pair inserted or deleted: noc_impactelement (e).customers ± 1 and
  noc_impactcustomer (c).elements ± 1; its services changing:
  noc_impactelement (e).services by as much;
- a customer's segment or group changing: the key account of its pairs and
  of its sites' pairs."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

ACTIVE = "'active'"
KEY_ACCOUNT = "'key_account'"

# The key account a customer counts as: itself or its group, as the desk's
# `key_account_customers` says (a key account, or a site of one).
_KEY_OF = f"""(SELECT CASE WHEN c.segment = {KEY_ACCOUNT} OR g.segment = {KEY_ACCOUNT}
    THEN COALESCE(c.parent_account_id, c.id) END
    FROM customers_customer c LEFT JOIN customers_customer g ON g.id = c.parent_account_id
    WHERE c.id = {{customer}})"""  # noqa: S608 (constants only)

_ENTER = """INSERT INTO noc_impactpair (element_id, customer_id, services, key_account_id)
    VALUES ({row}.access_element_id, {row}.customer_id, 1, {key})
    ON CONFLICT (element_id, customer_id) DO UPDATE SET services = noc_impactpair.services + 1"""
_LEAVE = """UPDATE noc_impactpair SET services = services - 1
    WHERE element_id = {row}.access_element_id AND customer_id = {row}.customer_id;
  DELETE FROM noc_impactpair
    WHERE element_id = {row}.access_element_id AND customer_id = {row}.customer_id
    AND services = 0"""
_PAIR_IN = """INSERT INTO noc_impactelement (element_id, services, customers)
    VALUES (NEW.element_id, NEW.services, 1)
    ON CONFLICT (element_id) DO UPDATE SET services = noc_impactelement.services
    + excluded.services, customers = noc_impactelement.customers + 1;
  INSERT INTO noc_impactcustomer (customer_id, elements) VALUES (NEW.customer_id, 1)
    ON CONFLICT (customer_id) DO UPDATE SET elements = noc_impactcustomer.elements + 1"""
_PAIR_CHANGED = """UPDATE noc_impactelement SET services = services + NEW.services - OLD.services
    WHERE element_id = NEW.element_id"""
_PAIR_OUT = """UPDATE noc_impactelement SET services = services - OLD.services,
    customers = customers - 1 WHERE element_id = OLD.element_id;
  UPDATE noc_impactcustomer SET elements = elements - 1 WHERE customer_id = OLD.customer_id;
  DELETE FROM noc_impactcustomer WHERE customer_id = OLD.customer_id AND elements = 0"""
_PAIR_KEY = _KEY_OF.format(customer="noc_impactpair.customer_id")
_KEYS_AGAIN = (
    "UPDATE noc_impactpair SET key_account_id = "  # noqa: S608 (constants only)
    + _PAIR_KEY
    + " WHERE customer_id = NEW.id"
    " OR customer_id IN (SELECT id FROM customers_customer WHERE parent_account_id = NEW.id)"
)

_COUNTED = f"{{row}}.status = {ACTIVE} AND {{row}}.access_element_id IS NOT NULL"
_MOVED = """(OLD.status IS NOT NEW.status OR OLD.access_element_id IS NOT NEW.access_element_id
    OR OLD.customer_id IS NOT NEW.customer_id)"""
_REGROUPED = (
    "(OLD.segment IS NOT NEW.segment OR OLD.parent_account_id IS NOT NEW.parent_account_id)"
)

SQLITE_TRIGGERS = {
    "noc_impact_service_in": f"""AFTER INSERT ON customers_service
    WHEN {_COUNTED.format(row="NEW")}
    BEGIN {_ENTER.format(row="NEW", key=_KEY_OF.format(customer="NEW.customer_id"))}; END""",
    "noc_impact_service_out": f"""AFTER DELETE ON customers_service
    WHEN {_COUNTED.format(row="OLD")}
    BEGIN {_LEAVE.format(row="OLD")}; END""",
    "noc_impact_service_left": f"""AFTER UPDATE OF status, access_element_id, customer_id
    ON customers_service WHEN {_COUNTED.format(row="OLD")} AND {_MOVED}
    BEGIN {_LEAVE.format(row="OLD")}; END""",
    "noc_impact_service_entered": f"""AFTER UPDATE OF status, access_element_id, customer_id
    ON customers_service WHEN {_COUNTED.format(row="NEW")} AND {_MOVED}
    BEGIN {_ENTER.format(row="NEW", key=_KEY_OF.format(customer="NEW.customer_id"))}; END""",
    "noc_impact_pair_in": f"AFTER INSERT ON noc_impactpair BEGIN {_PAIR_IN}; END",
    "noc_impact_pair_changed": f"""AFTER UPDATE OF services ON noc_impactpair
    BEGIN {_PAIR_CHANGED}; END""",
    "noc_impact_pair_out": f"AFTER DELETE ON noc_impactpair BEGIN {_PAIR_OUT}; END",
    "noc_impact_customer_regrouped": f"""AFTER UPDATE OF segment, parent_account_id
    ON customers_customer WHEN {_REGROUPED} BEGIN {_KEYS_AGAIN}; END""",
}


def _pg_moved() -> str:
    return _MOVED.replace("IS NOT", "IS DISTINCT FROM")


POSTGRES_FUNCTIONS = {
    "noc_impact_service": f"""
    IF TG_OP <> 'INSERT' THEN
      IF {_COUNTED.format(row="OLD")} AND (TG_OP = 'DELETE' OR {_pg_moved()}) THEN
        {_LEAVE.format(row="OLD")};
      END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
      IF {_COUNTED.format(row="NEW")} AND (TG_OP = 'INSERT' OR {_pg_moved()}) THEN
        {_ENTER.format(row="NEW", key=_KEY_OF.format(customer="NEW.customer_id"))};
      END IF;
    END IF;
    RETURN NULL;""",
    "noc_impact_pair": f"""
    IF TG_OP = 'INSERT' THEN {_PAIR_IN};
    ELSIF TG_OP = 'UPDATE' THEN
      IF NEW.services <> OLD.services THEN {_PAIR_CHANGED}; END IF;
    ELSE {_PAIR_OUT};
    END IF;
    RETURN NULL;""",
    "noc_impact_customer": f"""
    IF {_REGROUPED.replace("IS NOT", "IS DISTINCT FROM")} THEN {_KEYS_AGAIN}; END IF;
    RETURN NULL;""",
}
POSTGRES_TRIGGERS = {
    "noc_impact_service": "AFTER INSERT OR DELETE OR UPDATE OF status, access_element_id,"
    " customer_id ON customers_service",
    "noc_impact_pair": "AFTER INSERT OR DELETE OR UPDATE OF services ON noc_impactpair",
    "noc_impact_customer": "AFTER UPDATE OF segment, parent_account_id ON customers_customer",
}

# The counts from the services themselves: what the triggers must agree with.
RECOUNT_PAIRS = f"""SELECT s.access_element_id, s.customer_id, COUNT(*),
    {_KEY_OF.format(customer="s.customer_id")}
    FROM customers_service s WHERE {_COUNTED.format(row="s")}
    GROUP BY s.access_element_id, s.customer_id"""  # noqa: S608


def impact_triggers_drop(cursor: Any, vendor: str) -> None:
    if vendor == "postgresql":
        for name, target in POSTGRES_TRIGGERS.items():
            table = target.rsplit(" ON ", 1)[1]
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        return
    for name in SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def impact_triggers_create(cursor: Any, vendor: str) -> None:
    if vendor == "postgresql":
        for name, body in POSTGRES_FUNCTIONS.items():
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}"
                " END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} {POSTGRES_TRIGGERS[name]} FOR EACH ROW"
                f" EXECUTE FUNCTION {name}()"
            )
        return
    for name, body in SQLITE_TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER {name} {body}")


def impact_triggers_present() -> bool:
    """Whether every trigger is in place (a schema change that rebuilds the
    services or customers table on SQLite drops its triggers)."""
    if connection.vendor == "postgresql":
        sql, wanted = (
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'noc_impact_%'",
            POSTGRES_TRIGGERS,
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'noc_impact_%'"
        wanted = SQLITE_TRIGGERS
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = {row[0] for row in cursor.fetchall()}
    return found >= set(wanted)


def impact_counts_fill(cursor: Any, vendor: str) -> None:
    """Count everything again from the services, triggers off meanwhile
    (they would count each row a second time)."""
    impact_triggers_drop(cursor, vendor)
    for table in ("noc_impactpair", "noc_impactelement", "noc_impactcustomer"):
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    cursor.execute(
        "INSERT INTO noc_impactpair (element_id, customer_id, services, key_account_id) "
        + RECOUNT_PAIRS
    )
    cursor.execute(
        "INSERT INTO noc_impactelement (element_id, services, customers)"
        " SELECT element_id, SUM(services), COUNT(*) FROM noc_impactpair GROUP BY element_id"
    )
    cursor.execute(
        "INSERT INTO noc_impactcustomer (customer_id, elements)"
        " SELECT customer_id, COUNT(*) FROM noc_impactpair GROUP BY customer_id"
    )
    impact_triggers_create(cursor, vendor)


def impact_counts_rebuild() -> None:
    """`netdesk noc impact-rebuild`: the counts from the services, in one
    transaction (writers of services wait for it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        impact_counts_fill(cursor, connection.vendor)


def impact_counts_differences(limit: int = 20) -> list[str]:
    """`netdesk noc impact-check`: where the kept counts differ from a
    recount over the services (empty: they agree). One pass over the
    services; read-only."""
    pairs: dict[tuple[int, int], tuple[int, int | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT_PAIRS)
        for element_id, customer_id, services, key in cursor.fetchall():
            pairs[(element_id, customer_id)] = (services, key)
        cursor.execute(
            "SELECT element_id, customer_id, services, key_account_id FROM noc_impactpair"
        )
        kept = {(e, c): (n, k) for e, c, n, k in cursor.fetchall()}
        cursor.execute("SELECT element_id, services, customers FROM noc_impactelement")
        elements = {e: (n, c) for e, n, c in cursor.fetchall() if n or c}
        cursor.execute("SELECT customer_id, elements FROM noc_impactcustomer")
        customers = dict(cursor.fetchall())
    found = [
        f"pair element {e} customer {c}: kept {kept.get((e, c))}, counted {pairs.get((e, c))}"
        for e, c in sorted(pairs.keys() | kept.keys())
        if pairs.get((e, c)) != kept.get((e, c))
    ]
    per_element: dict[int, tuple[int, int]] = {}
    per_customer: dict[int, int] = {}
    for (e, c), (n, _) in pairs.items():
        services, count = per_element.get(e, (0, 0))
        per_element[e] = (services + n, count + 1)
        per_customer[c] = per_customer.get(c, 0) + 1
    found += [
        f"element {e}: kept {elements.get(e)}, counted {per_element.get(e)}"
        for e in sorted(per_element.keys() | elements.keys())
        if per_element.get(e) != elements.get(e)
    ]
    found += [
        f"customer {c}: kept on {customers.get(c)} elements, counted {per_customer.get(c)}"
        for c in sorted(per_customer.keys() | customers.keys())
        if per_customer.get(c) != customers.get(c)
    ]
    return found[:limit]
