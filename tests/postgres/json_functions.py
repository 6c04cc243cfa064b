"""Compares the PostgreSQL json_valid, json_type and json_each that the gateway's
migrations define (migrations-postgres/0002) with SQLite's own, as python3's sqlite3
module runs them, over one table of inputs; any difference is printed and fails the run.
Also checks what the comparison cannot: NULL in, NULL out; that the functions are
IMMUTABLE; that text and untyped arguments reach them while PostgreSQL's json_each(json)
keeps its own behaviour; and that a stored column and a bound parameter work as the
gateway's queries use them."""

import csv
import io
import json
import sqlite3
import sys

from pg import migrated_database, psql

# Inputs on which every SQLite since 3.38 (JSON built in) agrees. Left out because SQLite
# versions differ on them, or SQLite's text cannot hold them: NULL (json_valid gives 0
# before 3.45, NULL since; checked below against the newer answer, which the gateway's
# bundled SQLite gives), \u0000 (SQLite cuts the text there, PostgreSQL's text cannot
# hold it), lone surrogates (SQLite returns invalid UTF-8), JSON5 (json_each accepts it
# since 3.42), and nesting deeper than 1000 (SQLite's limit changed).
INPUTS = [
    # scalars
    '"*"', '""', '"plain"', '"with \\"quotes\\" and \\\\ and \\/"', '"\\b\\f\\n\\r\\t"',
    "0", "-0", "5", "-17", "1.0", "-0.0", "2.50", "1e3", "1E-5", "-1.5e+2",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "10000000000000000000000", "123456789012345678",
    "3.141592653589793", "0.1", "1e300", "1e400", "-1e400", "1e-400",
    "true", "false", "null", " true ", "\n null\t",
    # arrays of strings and of numbers, empty, nested, with whitespace
    "[]", "[ ]", '[""]', '["gpt-4o", "llama-3.1-8b", "*"]', '["a","a","b"]',
    "[1, 2, 3]", "[1, 2.50, 1e3, -0, 1E-5, 0.00001234, 1e15, 2e14, 1234567890123456.0]",
    "[99999999999999999, 123456789012345, 100, 1e2, 1.5e-7, 0.0001]",
    "[true, false, null]", "[[]]", "[[[]]]", "[ 1 , [ 2 , 3 ] , { \"k\" : \"v\" } ]",
    '[["a\\"b", "\\u00e9"], {"x": [1, {"y": null}]}]', '[{"a" : 1e3, "b" : -0.0}]',
    ' [ "a" ,\t"b" ]\r\n',
    # objects: flat, nested, duplicate and escaped member names
    "{}", "{ }", '{"env": "prod", "team": "ml"}', '{"a": 1, "a": 2}',
    '{"\\u0041": 1, "b\\"c": 2}', '{"nested": {"b": [1, 2, {"c": "\\u00e9 x"}]}}',
    '{"a": true, "b": false, "c": null, "d": [1, {"x" : "y"}], "e": "\\u00e9\\n"}',
    '{"": ""}', '{"n": 1.0, "m": 10000000000000000000000}',
    # unicode
    '["é", "日本", "😀"]', '"\\u00e9"', '"\\ud83d\\ude00"', '{"ключ": "значение"}',
    '["\\u65e5\\u672c"]', '"naïve café"',
    # invalid
    "", " ", "[", "]", "{", "}", "[1,]", "[,1]", '{"a":1,}', "{'a':1}", "{a:1}",
    '{"a"}', '{"a":}', '{"a" 1}', "nul", "True", "NULL", "01", "-01", "1.", ".5", "+1",
    "0x10", "NaN", "Infinity", "-", "1e", "1e+", "[1] [2]", '"a\tb"', '"a\nb"', '"\\x"',
    '"\\u12"', '"\\u12G4"', '"abc', "/* c */ 1", "[1,2] // x", "'x'", "[1 2]", "*",
]


def sqlite_answers(document):
    db = sqlite3.connect(":memory:")

    def one(sql):
        try:
            return db.execute(sql, (document,)).fetchone()[0]
        except sqlite3.Error:
            return "error"

    valid = one("SELECT json_valid(?)")
    try:
        rows = db.execute(
            "SELECT key, CAST(value AS TEXT) FROM json_each(?) ORDER BY id", (document,)
        ).fetchall()
        each = [[None if k is None else str(k), v] for k, v in rows]
    except sqlite3.Error:
        each = "error"
    return {
        "valid": {1: "true", 0: "false"}.get(valid, valid),
        "type": one("SELECT json_type(?)"),
        "each": each,
    }


PROBE = r"""
CREATE FUNCTION probe(document text, OUT valid text, OUT type text, OUT each text)
    LANGUAGE plpgsql AS $$
BEGIN
    valid := json_valid(document)::text;  -- never an error: one fails the whole run
    BEGIN
        type := json_type(document);
    EXCEPTION WHEN others THEN
        type := 'error';
    END;
    BEGIN
        SELECT coalesce(json_agg(json_build_array(e.key, e.value) ORDER BY e.n), '[]')::text
            INTO each FROM json_each(document) WITH ORDINALITY AS e (key, value, n);
    EXCEPTION WHEN others THEN
        each := 'error';
    END;
END;
$$;
CREATE TABLE inputs (n int PRIMARY KEY, document text NOT NULL);
CREATE FUNCTION plan_mentions(query text, needle text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
        IF position(needle IN line) > 0 THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END;
$$;
"""


def postgres_answers(database):
    psql(database, "--command", PROBE)
    table = io.StringIO()
    csv.writer(table).writerows(enumerate(INPUTS))
    psql(database, "--command", "\\copy inputs FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (document))", stdin=table.getvalue())
    out = psql(
        database,
        "--command",
        "COPY (SELECT n, (probe(document)).* FROM inputs ORDER BY n) TO STDOUT WITH (FORMAT csv)",
    )
    answers = {}
    for n, valid, type_, each in csv.reader(io.StringIO(out)):
        answers[int(n)] = {
            "valid": valid,
            "type": type_,
            "each": each if each == "error" else json.loads(each),
        }
    return answers


def scalar(database, sql):
    return psql(database, "--tuples-only", "--no-align", "--command", sql).rstrip("\n")


# (what is checked, SQL, the expected single-value answer)
CHECKS = [
    ("json_valid(NULL) is NULL, as in SQLite 3.45+", "SELECT json_valid(NULL) IS NULL", "t"),
    ("json_type(NULL) is NULL", "SELECT json_type(NULL) IS NULL", "t"),
    ("json_each(NULL) has no rows", "SELECT count(*) FROM json_each(NULL)", "0"),
    ("nesting beyond PostgreSQL's stack is invalid, not an error",
     "SELECT json_valid(repeat('[', 200000) || repeat(']', 200000))", "f"),
    ("the three functions are IMMUTABLE",
     "SELECT string_agg(DISTINCT provolatile::text, '') FROM pg_proc "
     "WHERE proname IN ('json_valid', 'json_type') "
     "OR (proname = 'json_each' AND proargtypes::text = 'text'::regtype::oid::text)", "i"),
    ("an untyped literal reaches json_each(text)",
     "SELECT value FROM json_each('[\"a\"]')", "a"),
    ("PostgreSQL's json_each(json) is unchanged (its value is json)",
     "SELECT value::text FROM json_each('{\"k\": \"a\"}'::json)", '"a"'),
    ("json_each(text) is inlined into the calling query (its plan shows the scan it wraps)",
     "SELECT plan_mentions('SELECT 1 FROM inputs WHERE EXISTS (SELECT 1 FROM json_each(document) "
     "WHERE value = ''x'')', 'json_array_elements')", "t"),
    ("jsonb_each is unchanged", "SELECT value::text FROM jsonb_each('{\"k\": 1.50}')", "1.50"),
    ("a text parameter reaches json_each(text)",
     "PREPARE scope(text) AS SELECT count(*) FROM json_each($1) WHERE value = 'gpt-4o'; "
     "EXECUTE scope('[\"gpt-4o\", \"x\"]')", "1"),
    ("an untyped parameter reaches json_each(text)",
     "PREPARE untyped AS SELECT string_agg(key, ',') FROM json_each($1); "
     "EXECUTE untyped('{\"a\": 1, \"b\": 2}')", "a,b"),
]


def main():
    database = migrated_database("json_functions")
    failures = []
    theirs = postgres_answers(database)
    for n, document in enumerate(INPUTS):
        ours = sqlite_answers(document)
        for what in ("valid", "type", "each"):
            if ours[what] != theirs[n][what]:
                failures.append(
                    f"{what} of {document!r}: SQLite {ours[what]!r}, PostgreSQL {theirs[n][what]!r}"
                )
    # The gateway's own shape: a key's scope column read with the guard row.rs puts
    # around it, and a label filter over a stored column.
    psql(
        database,
        "--command",
        "CREATE TABLE scopes (id int, allowed text, labels text);"
        "INSERT INTO scopes VALUES (1, '[\"gpt-4o\"]', '{\"env\": \"prod\"}'), (2, '\"*\"', '{}'),"
        " (3, 'not json', '{\"env\": \"dev\"}'), (4, NULL, '{}'), (5, '{\"gpt-4o\": 1}', '{}')",
    )
    CHECKS.append((
        "a guarded scope column matches only arrays holding the value",
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM scopes WHERE EXISTS (SELECT 1 FROM json_each("
        "CASE WHEN json_valid(allowed) THEN CASE WHEN json_type(allowed) = 'array' THEN allowed END END"
        ") WHERE value = 'gpt-4o')",
        "1",
    ))
    CHECKS.append((
        "a label filter over a stored column",
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM scopes WHERE EXISTS ("
        "SELECT 1 FROM json_each(scopes.labels) WHERE key = 'env' AND value = 'prod')",
        "1",
    ))
    for what, sql, expected in CHECKS:
        try:
            got = scalar(database, sql)
        except RuntimeError as error:
            got = f"error: {error}"
        if got != expected:
            failures.append(f"{what}: expected {expected!r}, got {got!r}")
    for failure in failures:
        print(f"json-functions: FAIL: {failure}", file=sys.stderr)
    checked = len(INPUTS) * 3 + len(CHECKS)
    if failures:
        print(f"json-functions: {len(failures)} of {checked} checks failed", file=sys.stderr)
        return 1
    print(f"json-functions: ok: {len(INPUTS)} inputs × json_valid, json_type, json_each agree with "
          f"SQLite {sqlite3.sqlite_version}; {len(CHECKS)} further checks pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
