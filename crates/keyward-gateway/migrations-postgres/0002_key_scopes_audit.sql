-- Every key scope of the seed platforms, counters, rotation grace, archive; per-model
-- usage; and the audit trail. JSON columns hold lists/maps that are read whole.
-- (PostgreSQL twin of migrations/0002_key_scopes_audit.sql; see 0001 for the types.)

ALTER TABLE inference_keys ADD COLUMN description TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE inference_keys ADD COLUMN rpm BIGINT;
ALTER TABLE inference_keys ADD COLUMN tpm BIGINT;
ALTER TABLE inference_keys ADD COLUMN token_limit BIGINT;
ALTER TABLE inference_keys ADD COLUMN token_limit_period TEXT COLLATE "C"
    CHECK (token_limit_period IN ('minute', 'hour', 'day', 'week', 'month'));
-- NULL = every model the project serves; else a JSON array of model names.
ALTER TABLE inference_keys ADD COLUMN allowed_models TEXT COLLATE "C";
-- JSON: "*" (whole project) or an array of workload slugs.
ALTER TABLE inference_keys ADD COLUMN workloads TEXT COLLATE "C" NOT NULL DEFAULT '"*"';
-- JSON object of label name → value.
ALTER TABLE inference_keys ADD COLUMN labels TEXT COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE inference_keys ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE inference_keys ADD COLUMN archived_at TIMESTAMPTZ;
ALTER TABLE inference_keys ADD COLUMN request_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inference_keys ADD COLUMN input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inference_keys ADD COLUMN output_tokens BIGINT NOT NULL DEFAULT 0;
-- After a rotation with a grace period, the old secret's hash works until this time.
ALTER TABLE inference_keys ADD COLUMN previous_secret_hash BYTEA
    CHECK (previous_secret_hash IS NULL OR octet_length(previous_secret_hash) = 32);
ALTER TABLE inference_keys ADD COLUMN previous_secret_expires_at TIMESTAMPTZ;

CREATE UNIQUE INDEX inference_keys_by_previous_hash
    ON inference_keys (previous_secret_hash) WHERE previous_secret_hash IS NOT NULL;
CREATE INDEX inference_keys_by_project_name ON inference_keys (project_id, name, id);
CREATE INDEX inference_keys_by_project_last_used ON inference_keys (project_id, last_used_at, id);

CREATE TABLE key_usage_by_model (
    key_id        TEXT COLLATE "C" NOT NULL REFERENCES inference_keys(id),
    model         TEXT COLLATE "C" NOT NULL,
    requests      BIGINT NOT NULL DEFAULT 0,
    input_tokens  BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model)
);

CREATE TABLE audit_events (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    project_id   TEXT COLLATE "C" NOT NULL REFERENCES projects(id),
    at           TIMESTAMPTZ NOT NULL,
    actor_id     TEXT COLLATE "C" NOT NULL,
    actor_label  TEXT COLLATE "C" NOT NULL,
    action       TEXT COLLATE "C" NOT NULL,
    target_type  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    -- JSON object: field → {"old": …, "new": …}; secrets never appear here.
    changes      TEXT COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_project ON audit_events (project_id, at DESC, id DESC);
CREATE INDEX audit_events_by_target ON audit_events (target_id, at DESC);

-- SQLite's JSON functions, as the gateway's queries use them over these TEXT columns:
-- json_valid(text), json_type(text) and json_each(text) with SQLite's names and meaning,
-- so one SQL text serves both engines. They take TEXT, so PostgreSQL's own
-- json_each(json) is untouched (it is chosen for a json argument, these for text or an
-- untyped literal). NULL in, NULL out (no rows for json_each), as in SQLite 3.45 and
-- later (the gateway's bundled SQLite); invalid JSON is an error in json_type and
-- json_each, as in SQLite, and false in json_valid. Checked against SQLite by
-- tests/postgres/json-functions.sh.

-- SQLite's text for a JSON number: an INTEGER when it is written without fraction or
-- exponent and fits 64 bits, else a REAL, which SQLite prints as printf("%!.15g")
-- (15 significant digits, at least one after the point, exponent form below 1e-4 and
-- from 1e15: 1000.0, 0.1, 1.0e+22, 1.234e-05; infinities as Inf and -Inf).
CREATE FUNCTION sqlite_json_number_text(number text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    exact numeric := number::numeric;
    magnitude numeric;
    exponent int;
    digits text;
    sign text := CASE WHEN exact < 0 THEN '-' ELSE '' END;
BEGIN
    IF number !~ '[.eE]' AND exact BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
        RETURN exact::bigint::text;
    END IF;
    IF abs(exact) >= 1.797693134862315807937289714053e308 THEN
        RETURN sign || 'Inf';
    END IF;
    IF abs(exact) <= 2.4703282292062327208828439643411e-324 THEN
        RETURN '0.0';  -- rounds to zero; SQLite prints -0.0 as 0.0 too
    END IF;
    -- numeric → double rounds correctly; double → numeric keeps 15 significant digits
    -- (PostgreSQL formats it with %.15g), which is what SQLite prints.
    magnitude := abs(exact::double precision)::numeric;
    IF magnitude = 0 THEN
        RETURN '0.0';
    END IF;
    IF magnitude >= 1 THEN
        exponent := length(trunc(magnitude)::text) - 1;
    ELSE
        exponent := -(length(substring(magnitude::text FROM '^0\.(0*)')) + 1);
    END IF;
    IF exponent < -4 OR exponent > 14 THEN
        digits := rtrim(ltrim(replace(magnitude::text, '.', ''), '0'), '0');
        RETURN sign || left(digits, 1) || '.' || coalesce(nullif(substr(digits, 2), ''), '0')
            || 'e' || CASE WHEN exponent < 0 THEN '-' ELSE '+' END
            || CASE WHEN abs(exponent) < 10 THEN '0' ELSE '' END || abs(exponent)::text;
    END IF;
    RETURN sign || magnitude::text
        || CASE WHEN position('.' IN magnitude::text) = 0 THEN '.0' ELSE '' END;
END;
$$;

-- One JSON value as SQLite's json_each returns it, as text: a string unquoted and
-- unescaped, a number as SQLite prints it, true and false as 1 and 0, null as NULL, an
-- array or object as its JSON text without insignificant whitespace (escapes and
-- number spellings kept, as SQLite keeps them).
CREATE FUNCTION sqlite_json_value_text(element json) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE json_typeof(element)
        WHEN 'string' THEN element #>> '{}'
        WHEN 'number' THEN sqlite_json_number_text(btrim(element::text, E' \t\n\r'))
        WHEN 'boolean' THEN CASE WHEN btrim(element::text, E' \t\n\r') = 'true' THEN '1' ELSE '0' END
        WHEN 'null' THEN NULL
        ELSE regexp_replace(element::text, '("(?:[^"\\]|\\.)*")|[ \t\n\r]+', '\1', 'g')
    END
$$;

-- SQLite's json_valid(X) for TEXT: true for well-formed RFC 8259 JSON, false otherwise,
-- never an error.
CREATE FUNCTION json_valid(document text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    PERFORM document::json;
    RETURN true;
EXCEPTION
    -- A syntax error; an escape PostgreSQL cannot hold; nesting beyond its stack.
    WHEN invalid_text_representation OR untranslatable_character OR statement_too_complex THEN
        RETURN false;
END;
$$;

-- SQLite's json_type(X): the type of the outermost value, as SQLite names it ('object',
-- 'array', 'text', 'integer', 'real', 'true', 'false', 'null'). A number is 'integer'
-- when written without fraction or exponent, however large, as in SQLite.
CREATE FUNCTION json_type(document text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE json_typeof(document::json)
        WHEN 'object' THEN 'object'
        WHEN 'array' THEN 'array'
        WHEN 'string' THEN 'text'
        WHEN 'number' THEN CASE WHEN document ~ '[.eE]' THEN 'real' ELSE 'integer' END
        WHEN 'boolean' THEN btrim(document, E' \t\n\r')
        WHEN 'null' THEN 'null'
    END
$$;

-- SQLite's json_each(X), its key and value columns: for an array one row per element
-- (key = its index, from 0), for an object one per member in document order, duplicates
-- included (key = the member's name), for a scalar one row (key NULL). The values are
-- text as sqlite_json_value_text gives them, so `value = $1` with a text parameter
-- matches a JSON string.
-- Plain SQL, not STRICT, one SELECT: PostgreSQL inlines it (and sqlite_json_value_text)
-- into the calling query, a few µs a call where a plpgsql or STRICT version costs ~40.
-- The document is parsed once (OFFSET 0 keeps the planner from copying the argument,
-- e.g. a json_valid guard, into every use). A NULL document yields no rows, as
-- json_typeof(NULL) matches no branch.
CREATE FUNCTION json_each(document text) RETURNS TABLE (key text, value text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT item.key, sqlite_json_value_text(item.value)
        FROM (SELECT document::json AS whole OFFSET 0) AS parsed,
        LATERAL (
            SELECT NULL::text AS key, parsed.whole AS value
                WHERE json_typeof(parsed.whole) NOT IN ('array', 'object')
            UNION ALL
            SELECT (element.position - 1)::text, element.value
                FROM pg_catalog.json_array_elements(
                        CASE WHEN json_typeof(parsed.whole) = 'array' THEN parsed.whole END)
                    WITH ORDINALITY AS element (value, position)
            UNION ALL
            SELECT member.key, member.value
                FROM pg_catalog.json_each(
                        CASE WHEN json_typeof(parsed.whole) = 'object' THEN parsed.whole END) AS member
        ) AS item
$$;
