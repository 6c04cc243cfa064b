"""A throwaway database on the test cluster that scripts/services.sh started, for the
checks in tests/postgres/: psql is driven with the password in its environment (never
on a command line), and the gateway's PostgreSQL migrations are applied in order, each
with ON_ERROR_STOP, as `keyward-gateway migrate` would."""

import os
import pathlib
import subprocess
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "crates/keyward-gateway/migrations-postgres"
SQLITE_MIGRATIONS = ROOT / "crates/keyward-gateway/migrations"


def _environment(database):
    url = os.environ.get("KEYWARD_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("KEYWARD_TEST_POSTGRES_URL is not set: run this under start_postgres (scripts/services.sh).")
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    env.update(
        PGHOST=parts.hostname,
        PGPORT=str(parts.port),
        PGUSER=urllib.parse.unquote(parts.username),
        PGPASSWORD=urllib.parse.unquote(parts.password),
        PGDATABASE=database,
        PGCONNECT_TIMEOUT="10",
    )
    return env


def psql(database, *args, stdin=None):
    """Runs psql on `database` with `args`; returns its stdout, raises on failure."""
    done = subprocess.run(
        ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", *args],
        env=_environment(database),
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def migrated_database(name):
    """Creates database `name` and applies every PostgreSQL migration to it, in order."""
    psql("postgres", "--command", f'CREATE DATABASE "{name}"')
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        psql(name, "--file", str(migration))
    return name
