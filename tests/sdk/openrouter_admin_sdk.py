"""The official OpenRouter Python SDK's management endpoints against keyward-fakes' OpenRouter fake (issue #18).

Run by crates/keyward-fakes/tests/it/openrouter.rs with the fake's URL, management key, one
inference key of its account and the number of keys in the environment. The SDK parses
every answer with its pydantic models (a missing or mistyped field raises); since those
models ignore members they do not declare, each answer is also fetched raw and checked
for members the SDK does not know, so a field the fake invents fails too. Every check
raises on failure; the process exits non-zero.
"""

import hashlib
import json
import os
import urllib.request
from datetime import datetime, timedelta, timezone

import pydantic
from openrouter import OpenRouter, errors, operations, components
from openrouter.utils import BackoffStrategy, RetryConfig

base = os.environ["KW_BASE_URL"]  # the API root, ".../api/v1"
management = os.environ["KW_ADMIN_KEY"]
inference = os.environ["KW_INFERENCE_KEY"]
keys_expected = int(os.environ["KW_KEYS"])
root = base.rsplit("/api/v1", 1)[0]

# No retries: an injected failure must reach the caller as the SDK's typed error.
no_retries = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)
client = OpenRouter(api_key=management, server_url=base, timeout_ms=10_000, retry_config=no_retries)


def raw(path, key=management):
    request = urllib.request.Request(base + path, headers={"authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def declared(model):
    return {field.alias or name for name, field in model.model_fields.items()}


def known(value, model, where):
    """No member of `value` (a JSON object) that `model` does not declare, at any depth."""
    extra = set(value) - declared(model)
    assert not extra, f"{where}: members unknown to the SDK: {sorted(extra)}"
    for name, field in model.model_fields.items():
        member = value.get(field.alias or name)
        inner = nested_model(field.annotation)
        if inner is None or member is None:
            continue
        for i, item in enumerate(member if isinstance(member, list) else [member]):
            known(item, inner, f"{where}.{name}[{i}]")


def nested_model(annotation):
    """The pydantic model inside an annotation (Optional, List, Nullable…), if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = nested_model(arg)
        if found is not None:
            return found
    return None


def inject(path_contains, status, times=1):
    body = json.dumps({"path_contains": path_contains, "status": status, "times": times}).encode()
    request = urllib.request.Request(
        root + "/_fake/faults", data=body, headers={"content-type": "application/json"}
    )
    assert urllib.request.urlopen(request).status == 201


def expect(error_class, call):
    try:
        call()
    except error_class as e:
        return e
    raise AssertionError(f"expected {error_class.__name__}")


# The calling key: the management key says it is one; an inference key says it is not.
me = client.api_keys.get_current_key_metadata()
known(raw("/key")["data"], operations.GetCurrentKeyData, "key")
assert me.data.is_management_key and me.data.label.startswith("sk-or-v1-")
other = OpenRouter(api_key=inference, server_url=base, timeout_ms=10_000)
assert not other.api_keys.get_current_key_metadata().data.is_management_key
known(raw("/key", inference)["data"], operations.GetCurrentKeyData, "key (inference)")
# …and cannot list keys (the spec lists no 403 for this route, so the SDK's default error).
e = expect(errors.OpenRouterError, lambda: other.api_keys.list())
assert e.status_code == 403 and json.loads(e.body)["error"]["code"] == 403, e.body

# Keys, by offset to the end: 100 a page, a short page ends it.
listed, offset = [], 0
while True:
    page = client.api_keys.list(include_disabled=True, include_expired=True, offset=offset)
    for i, item in enumerate(raw(f"/keys?include_disabled=true&include_expired=true&offset={offset}")["data"]):
        known(item, operations.ListData, f"keys[{offset + i}]")
    listed.extend(page.data)
    if len(page.data) < 100:
        break
    offset += len(page.data)
assert len(listed) == keys_expected, len(listed)
assert len({k.hash for k in listed}) == keys_expected
assert offset >= 200, "paged at least three times"
enabled = client.api_keys.list()
assert all(not k.disabled for k in enabled.data)
assert len(enabled.data) < len(listed)

# Create with a money limit and an expiry: 201, the secret once, its hash the id.
expires = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
created = client.api_keys.create(name="sdk-check", limit=12.5, limit_reset="monthly", expires_at=expires)
assert created.key.startswith("sk-or-v1-") and len(created.key) == 73
assert created.data.hash == hashlib.sha256(created.key.encode()).hexdigest()
assert (created.data.limit, created.data.limit_reset, created.data.limit_remaining) == (12.5, "monthly", 12.5)
assert created.data.expires_at == expires, created.data.expires_at
h = created.data.hash

got = client.api_keys.get(hash=h)
known(raw(f"/keys/{h}")["data"], operations.GetKeyData, "key")
assert got.data.name == "sdk-check" and got.data.usage == 0

updated = client.api_keys.update(hash=h, name="sdk-check-2", disabled=True, limit=5.0)
assert (updated.data.name, updated.data.disabled, updated.data.limit) == ("sdk-check-2", True, 5.0)
assert updated.data.limit_reset == "monthly", "members not sent are kept"
updated = client.api_keys.update(hash=h, limit=None, limit_reset=None)
assert updated.data.limit is None and updated.data.limit_reset is None

deleted = client.api_keys.delete(hash=h)
assert deleted.DELETED is True
e = expect(errors.NotFoundResponseError, lambda: client.api_keys.get(hash=h))
assert e.data.error.code == 404

# The platform's validation, in its error shape.
e = expect(errors.BadRequestResponseError, lambda: client.api_keys.create(name="x", limit=-1.0))
assert e.data.error.code == 400 and "limit" in e.data.error.message
e = expect(
    errors.BadRequestResponseError,
    lambda: client.api_keys.create(name="x", expires_at=datetime(2020, 1, 1, tzinfo=timezone.utc)),
)
assert "expires_at" in e.data.error.message

# Money usage on the keys agrees with the activity of the 30 completed days.
activity = client.analytics.get_user_activity()
for i, row in enumerate(raw("/activity")["data"]):
    known(row, components.ActivityItem, f"activity[{i}]")
assert activity.data, "the seed has activity"
days = sorted({row.date_ for row in activity.data})
assert len(days) <= 30
one = next(k for k in listed if k.usage > 0)
mine = client.analytics.get_user_activity(request={"api_key_hash": one.hash})
assert sum(row.usage for row in mine.data) <= one.usage + 1e-9
assert all(row.requests > 0 and row.model for row in mine.data)
by_day = client.analytics.get_user_activity(request={"date": days[-1]})
assert {row.date_ for row in by_day.data} == {days[-1]}
e = expect(errors.BadRequestResponseError, lambda: client.analytics.get_user_activity(request={"date": "2000-01-01"}))
assert e.data.error.code == 400

# Guardrails and their key assignments, read.
guardrails = client.guardrails.list()
known(raw("/guardrails")["data"][0], components.Guardrail, "guardrail")
assert guardrails.result.total_count == 1 and guardrails.result.data[0].allowed_models
g = guardrails.result.data[0]
assert client.guardrails.get(id=g.id).data.id == g.id
assignments = client.guardrails.list_key_assignments()
known(raw("/guardrails/assignments/keys")["data"][0], components.KeyAssignment, "assignment")
assert assignments.result.total_count == 2
assert {a.key_hash for a in assignments.result.data} <= {k.hash for k in listed}
of_g = client.guardrails.list_guardrail_key_assignments(id=g.id)
assert of_g.result.total_count == 2

# Credits.
credits = client.credits.get_credits()
assert credits.data.total_credits > 0 and credits.data.total_usage > 0

# Typed errors for each status the SDK knows.
for status, error_class in [
    (401, errors.UnauthorizedResponseError),
    (429, errors.TooManyRequestsResponseError),
    (500, errors.InternalServerResponseError),
]:
    inject("/keys", status)
    e = expect(error_class, lambda: client.api_keys.list())
    assert e.data.error.code == status, (status, e.data)
e = expect(errors.UnauthorizedResponseError, lambda: OpenRouter(api_key="sk-or-v1-" + "0" * 64, server_url=base).api_keys.list())
assert e.data.error.message

print("all checks passed")
