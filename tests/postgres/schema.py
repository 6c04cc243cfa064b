"""Holds the PostgreSQL migrations to the SQLite ones they twin, on a throwaway cluster:
1. one file per SQLite migration, with the same version and description;
2. after all of them, the same tables with the same columns in the same order, each of
   the PostgreSQL type the SQLite type maps to (a TEXT column is TIMESTAMPTZ exactly when
   it is one of TIMESTAMPS, the columns the gateway reads as DateTime<Utc>), the same
   NOT NULL, defaults and primary keys; the same indexes (name, uniqueness, partial or
   not, columns in order with their direction); the same triggers; the same CHECK,
   UNIQUE and foreign-key refusals;
3. project_key_counts right on both engines through the backfill of 0004 and through
   inserts, archives, unarchives, other updates and deletes over two projects.
Any difference is printed and fails the run."""

import pathlib
import re
import sqlite3
import sys

from pg import MIGRATIONS, SQLITE_MIGRATIONS, psql

# The columns the gateway binds and reads as chrono DateTime<Utc>.
TIMESTAMPS = {
    "projects": {"created_at"},
    "control_tokens": {"created_at", "revoked_at"},
    "inference_keys": {
        "created_at", "updated_at", "revoked_at", "last_used_at", "expires_at",
        "archived_at", "previous_secret_expires_at",
    },
    "audit_events": {"at"},
    "workloads": {"created_at", "updated_at"},
    "usage_minute": {"bucket"},
    "usage_hour": {"bucket"},
    "usage_day": {"bucket"},
    "workload_health": {"at"},
    "usage_flushes": {"flushed_at"},
}
TYPES = {"INTEGER": "bigint", "REAL": "double precision", "BLOB": "bytea", "TEXT": "text"}

failures = []


def check(what, ours, theirs):
    if ours != theirs:
        failures.append(f"{what}: SQLite {ours!r}, PostgreSQL {theirs!r}")


def rows(database, sql):
    out = psql(database, "--tuples-only", "--no-align", "--field-separator=\t", "--command", sql)
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def sqlite_database(migrations):
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")  # as the gateway opens it (sqlx's default)
    for migration in migrations:
        db.executescript(migration.read_text())
    return db


def postgres_database(name, migrations):
    psql("postgres", "--command", f'DROP DATABASE IF EXISTS "{name}"', "--command", f'CREATE DATABASE "{name}"')
    for migration in migrations:
        psql(name, "--file", str(migration))
    return name


def default_text(value):
    """A column default without PostgreSQL's cast decoration."""
    if value is None:
        return None
    return re.sub(r"::(text|bigint|integer|double precision)$", "", value)


def compare_tables(sq, pg):
    sq_tables = sorted(r[0] for r in sq.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    pg_tables = sorted(r[0] for r in rows(pg, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    check("tables", sq_tables, pg_tables)
    for table in sq_tables:
        if table not in pg_tables:
            continue
        ours = []
        for _, name, type_, notnull, default, pk in sq.execute(f"PRAGMA table_info({table})"):
            expected = TYPES[type_.upper()]
            if name in TIMESTAMPS.get(table, ()):
                expected = "timestamp with time zone"
            ours.append((name, expected, bool(notnull or pk), default, pk))
        theirs = []
        pk_columns = [r[0] for r in rows(pg, f"""
            SELECT a.attname FROM pg_index i
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n) ON true
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = '{table}'::regclass AND i.indisprimary ORDER BY k.n""")]
        for name, type_, nullable, default, identity, collation in rows(pg, f"""
                SELECT column_name, data_type, is_nullable, coalesce(column_default, '\\N'),
                       is_identity, coalesce(collation_name, '')
                FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"""):
            if type_ == "text":
                check(f"{table}.{name} collation (byte order, as SQLite's BINARY)", "C", collation)
            pk = pk_columns.index(name) + 1 if name in pk_columns else 0
            theirs.append((name, type_, nullable == "NO", default_text(None if default == "\\N" else default), pk))
        check(f"columns of {table}", [c[0] for c in ours], [c[0] for c in theirs])
        for mine, its in zip(ours, theirs):
            check(f"{table}.{mine[0]} (name, type, not null, default, primary key position)", mine, its)


def compare_indexes(sq, pg):
    ours = {}
    for (table,) in sq.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        for _, name, unique, origin, partial in sq.execute(f"PRAGMA index_list({table})"):
            if origin != "c":  # primary keys and UNIQUE constraints are compared as columns/refusals
                continue
            columns = [(col, "DESC" if desc else "ASC")
                       for _, _, col, desc, _, key in sq.execute(f"PRAGMA index_xinfo({name})") if key]
            ours[name] = (table, bool(unique), bool(partial), columns)
    theirs = {}
    for name, table, unique, partial, definition in rows(pg, """
            SELECT c.relname, t.relname, i.indisunique, i.indpred IS NOT NULL, pg_get_indexdef(c.oid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'public' AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = c.oid)"""):
        keys, _, include = re.search(r"USING btree \((.*?)\)(?: INCLUDE \((.*?)\))?(?: WHERE|$)",
                                     definition).group(1, 1, 2)
        columns = []
        for part in [p.strip() for p in keys.split(",")] + [p.strip() for p in (include or "").split(",") if p]:
            col, *direction = part.split()
            columns.append((col, "DESC" if "DESC" in direction else "ASC"))
        theirs[name] = (table, unique == "t", partial == "t", columns)
    check("index names", sorted(ours), sorted(theirs))
    for name in sorted(set(ours) & set(theirs)):
        check(f"index {name} (table, unique, partial, columns)", ours[name], theirs[name])


def compare_triggers(sq, pg):
    ours = sorted(r[0] for r in sq.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    theirs = sorted(r[0] for r in rows(pg, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    check("triggers", ours, theirs)


HASHES = iter(range(1, 1000))


def hashed(engine):
    """A fresh 32-byte secret hash literal in the engine's syntax."""
    value = f"{next(HASHES):064x}"
    return f"X'{value}'" if engine == "sqlite" else f"'\\x{value}'::bytea"


def key(engine, id_, project, archived=False):
    archived_at = "'2026-01-03T00:00:00Z'" if archived else "NULL"
    return (f"INSERT INTO inference_keys (id, project_id, name, secret_hash, masked, created_at, updated_at, "
            f"revoked_at, archived_at) VALUES ('{id_}', '{project}', '{id_}', {hashed(engine)}, 'kw_…', "
            f"'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', {archived_at})")


COUNTS = "SELECT project_id, total, archived FROM project_key_counts ORDER BY project_id"
RECOUNT = ("SELECT project_id, COUNT(*), COUNT(archived_at) FROM inference_keys "
           "GROUP BY project_id ORDER BY project_id")


def counts_on(engine, db, sql):
    if engine == "sqlite":
        return [tuple(str(v) for v in r) for r in db.execute(sql)]
    return rows(db, sql)


def run(engine, db, sql):
    if engine == "sqlite":
        db.execute(sql)
    else:
        psql(db, "--command", sql)


def compare_counts(pg_name):
    early = [m for m in sorted(SQLITE_MIGRATIONS.glob("*.sql")) if m.name < "0004"]
    late = [m for m in sorted(SQLITE_MIGRATIONS.glob("*.sql")) if m.name >= "0004"]
    sq = sqlite_database(early)
    pg = postgres_database(pg_name, [MIGRATIONS / m.name for m in early])
    # Keys written before 0004 existed: its backfill must count them.
    setup = ["INSERT INTO projects (id, name, created_at) VALUES ('p1', 'One', '2026-01-01T00:00:00Z')",
             "INSERT INTO projects (id, name, created_at) VALUES ('p2', 'Two', '2026-01-01T00:00:00Z')"]
    for engine, db in (("sqlite", sq), ("postgres", pg)):
        for sql in setup + [key(engine, "k1", "p1"), key(engine, "k2", "p1", archived=True),
                            key(engine, "k3", "p2")]:
            run(engine, db, sql)
    for migration in late:
        sq.executescript(migration.read_text())
        psql(pg, "--file", str(MIGRATIONS / migration.name))
    steps = [
        ("after the backfill", []),
        ("an insert", ["k4 p1"]),
        ("an insert already archived", ["k5 p2 archived"]),
        ("an archive", ["UPDATE inference_keys SET archived_at = '2026-01-04T00:00:00Z', updated_at = '2026-01-04T00:00:00Z' WHERE id = 'k1'"]),
        ("an archive again (a new time, still archived)", ["UPDATE inference_keys SET archived_at = '2026-01-05T00:00:00Z' WHERE id = 'k1'"]),
        ("an update of other columns", ["UPDATE inference_keys SET name = 'renamed', updated_at = '2026-01-05T00:00:00Z' WHERE id = 'k2'"]),
        ("an unarchive", ["UPDATE inference_keys SET archived_at = NULL WHERE id = 'k2'"]),
        ("an update of many rows at once", ["UPDATE inference_keys SET archived_at = '2026-01-06T00:00:00Z' WHERE project_id = 'p2'"]),
        ("a delete of an archived key", ["DELETE FROM inference_keys WHERE id = 'k1'"]),
        ("a delete of a live key", ["DELETE FROM inference_keys WHERE id = 'k4'"]),
        ("a delete of every key of a project", ["DELETE FROM inference_keys WHERE project_id = 'p2'"]),
        ("inserts after deletes", ["k6 p2", "k7 p2 archived"]),
    ]
    for what, statements in steps:
        for engine, db in (("sqlite", sq), ("postgres", pg)):
            for statement in statements:
                if statement.startswith(("UPDATE", "DELETE")):
                    run(engine, db, statement)
                else:
                    id_, project, *archived = statement.split()
                    run(engine, db, key(engine, id_, project, archived=bool(archived)))
        pg_counts = counts_on("postgres", pg, COUNTS)
        check(f"project_key_counts {what} (PostgreSQL against a recount)", counts_on("postgres", pg, RECOUNT),
              [c for c in pg_counts if c[1] != "0"])
        check(f"project_key_counts {what}", counts_on("sqlite", sq, COUNTS), pg_counts)


REFUSED = [
    ("a 31-byte secret hash", "INSERT INTO control_tokens (id, project_id, name, role, secret_hash, masked, created_at) "
     "VALUES ('t1', 'p1', 't', 'owner', {short}, 'kw_…', '2026-01-01T00:00:00Z')"),
    ("an unknown role", "INSERT INTO control_tokens (id, project_id, name, role, secret_hash, masked, created_at) "
     "VALUES ('t2', 'p1', 't', 'root', {hash}, 'kw_…', '2026-01-01T00:00:00Z')"),
    ("a token of no project", "INSERT INTO control_tokens (id, project_id, name, role, secret_hash, masked, created_at) "
     "VALUES ('t3', 'nope', 't', 'owner', {hash}, 'kw_…', '2026-01-01T00:00:00Z')"),
    ("a secret hash used twice", "UPDATE inference_keys SET secret_hash = (SELECT secret_hash FROM inference_keys WHERE id = 'k2') WHERE id = 'k3'"),
    ("an unknown budget period", "UPDATE inference_keys SET token_limit_period = 'year' WHERE id = 'k2'"),
    ("a short previous secret hash", "UPDATE inference_keys SET previous_secret_hash = {short} WHERE id = 'k2'"),
    ("a previous secret hash used twice", "UPDATE inference_keys SET previous_secret_hash = {same} WHERE id IN ('k2', 'k3')"),
    ("a workload slug used twice in a project", "INSERT INTO workloads (id, project_id, name, slug, model_name, backend, task_type, created_at, updated_at) "
     "VALUES ('w2', 'p1', 'w', 'chat', 'm', 'vllm', 'chat', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"),
    ("a per-model usage row of no key", "INSERT INTO key_usage_by_model (key_id, model) VALUES ('nope', 'm')"),
    ("a usage bucket twice", "INSERT INTO usage_day (project_id, key_id, model, workload, bucket) "
     "VALUES ('p1', 'k2', 'm', '', '2026-01-01T00:00:00Z')"),
]
ACCEPTED = [
    ("two keys without a previous secret hash", "UPDATE inference_keys SET previous_secret_hash = NULL"),
    ("a key's previous secret hash", "UPDATE inference_keys SET previous_secret_hash = {hash}, previous_secret_expires_at = '2026-01-02T00:00:00Z' WHERE id = 'k2'"),
    ("the same slug in another project", "INSERT INTO workloads (id, project_id, name, slug, model_name, backend, task_type, created_at, updated_at) "
     "VALUES ('w3', 'p2', 'w', 'chat', 'm', 'vllm', 'chat', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"),
]


def compare_constraints(pg_name):
    migrations = sorted(SQLITE_MIGRATIONS.glob("*.sql"))
    sq = sqlite_database(migrations)
    pg = postgres_database(pg_name, [MIGRATIONS / m.name for m in migrations])
    for engine, db in (("sqlite", sq), ("postgres", pg)):
        run(engine, db, "INSERT INTO projects (id, name, created_at) VALUES ('p1', 'One', '2026-01-01T00:00:00Z')")
        run(engine, db, "INSERT INTO projects (id, name, created_at) VALUES ('p2', 'Two', '2026-01-01T00:00:00Z')")
        run(engine, db, key(engine, "k2", "p1"))
        run(engine, db, key(engine, "k3", "p1"))
        run(engine, db, "INSERT INTO workloads (id, project_id, name, slug, model_name, backend, task_type, created_at, updated_at) "
                        "VALUES ('w1', 'p1', 'w', 'chat', 'm', 'vllm', 'chat', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        run(engine, db, "INSERT INTO usage_day (project_id, key_id, model, workload, bucket) "
                        "VALUES ('p1', 'k2', 'm', '', '2026-01-01T00:00:00Z')")
    same = f"{900:064x}"
    for expected, cases in (("refused", REFUSED), ("accepted", ACCEPTED)):
        for what, template in cases:
            outcome = {}
            for engine, db in (("sqlite", sq), ("postgres", pg)):
                sql = template.format(
                    hash=hashed(engine),
                    short=f"X'{'ab' * 31}'" if engine == "sqlite" else f"'\\x{'ab' * 31}'::bytea",
                    same=f"X'{same}'" if engine == "sqlite" else f"'\\x{same}'::bytea",
                )
                try:
                    run(engine, db, sql)
                    outcome[engine] = "accepted"
                except (sqlite3.Error, RuntimeError):
                    outcome[engine] = "refused"
            check(f"{what} is {expected}", (expected, expected), (outcome["sqlite"], outcome["postgres"]))


def main():
    sq_files = sorted(m.name for m in SQLITE_MIGRATIONS.glob("*.sql"))
    pg_files = sorted(m.name for m in MIGRATIONS.glob("*.sql"))
    check("migration files (version_description.sql)", sq_files, pg_files)
    if sq_files == pg_files:
        sq = sqlite_database(sorted(SQLITE_MIGRATIONS.glob("*.sql")))
        pg = postgres_database("schema", sorted(MIGRATIONS.glob("*.sql")))
        compare_tables(sq, pg)
        compare_indexes(sq, pg)
        compare_triggers(sq, pg)
        compare_counts("key_counts")
        compare_constraints("constraints")
    for failure in failures:
        print(f"schema: FAIL: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"schema: ok: {len(pg_files)} PostgreSQL migrations twin the SQLite ones (tables, columns, "
          "indexes, triggers, constraints), and project_key_counts agrees on both engines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
