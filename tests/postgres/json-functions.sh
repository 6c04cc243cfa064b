#!/usr/bin/env bash
# Proves that the PostgreSQL json_valid, json_type and json_each the gateway's
# migrations define (crates/keyward-gateway/migrations-postgres/0002) answer as SQLite's
# do (python3's sqlite3 module is the reference), on a throwaway cluster it starts and
# stops itself (scripts/services.sh). Exits non-zero on any difference, each printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/services.sh"
trap stop_services EXIT
start_postgres
python3 "$root/tests/postgres/json_functions.py"
