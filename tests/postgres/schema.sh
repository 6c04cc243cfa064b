#!/usr/bin/env bash
# Proves that crates/keyward-gateway/migrations-postgres twins the SQLite migrations:
# one file per migration, the same tables, columns (mapped types), indexes, triggers and
# constraints, and project_key_counts kept right by its triggers on both engines. Runs
# on a throwaway cluster it starts and stops itself (scripts/services.sh), with python3's
# sqlite3 as the SQLite side. Exits non-zero on any difference, each printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/services.sh"
trap stop_services EXIT
start_postgres
python3 "$root/tests/postgres/schema.py"
