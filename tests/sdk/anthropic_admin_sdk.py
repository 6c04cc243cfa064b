"""The official Anthropic Python SDK's organization resources against keyward-fakes'
Anthropic fake (issue #17).

Run by crates/keyward-fakes/tests/it/sdk.rs with the fake's URL, admin key and the shape
of its generated organisation in the environment. SDK 2.17.0 covers the organisation
(`/v1/organizations/me`), API keys (list, retrieve, update) and workspaces under
`client.organization`; it has no method for `usage_report/messages` or `cost_report`,
so those are called through the same client's `get` (its auth, version header and
bracketed array encoding) and checked field by field. Responses are parsed with strict
validation and checked for fields the SDK does not know. Exits non-zero on any failure.
"""

import datetime
import json
import os
import urllib.error
import urllib.request
from decimal import Decimal

import anthropic
from anthropic import Anthropic
from pydantic import BaseModel

base = os.environ["KW_BASE_URL"]  # the API root, ".../v1"
admin = os.environ["KW_ADMIN_KEY"]
workspaces_expected = int(os.environ["KW_WORKSPACES"])
keys_per_workspace = int(os.environ["KW_KEYS_PER_WORKSPACE"])
# The SDK's paths carry "/v1" themselves.
root = base.rsplit("/v1", 1)[0]

client = Anthropic(api_key=admin, base_url=root, max_retries=0, _strict_response_validation=True)
org = client.organization


def strict(obj, where="response"):
    """No field the SDK's model does not declare, at any depth; round-trips its dict."""
    if isinstance(obj, BaseModel):
        extra = obj.model_extra or {}
        assert not extra, f"{where}: fields unknown to the SDK: {sorted(extra)}"
        for name in type(obj).model_fields:
            strict(getattr(obj, name), f"{where}.{name}")
        type(obj).model_validate(obj.to_dict())
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            strict(item, f"{where}[{i}]")
    return obj


def inject(path_contains, status, retry_after=None, times=1):
    body = json.dumps(
        {"path_contains": path_contains, "status": status, "retry_after": retry_after, "times": times}
    ).encode()
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


def raw(path, headers):
    """A request outside the SDK, for the headers it does not send."""
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), e.headers


# The organisation.
me = strict(org.retrieve())
assert me.type == "organization" and me.id and me.name

# API keys, three per page to the end, newest first.
keys = [strict(k, "api_key") for k in org.api_keys.list(limit=3)]
assert len(keys) == workspaces_expected * keys_per_workspace, len(keys)
assert len({k.id for k in keys}) == len(keys)
assert [k.created_at for k in keys] == sorted((k.created_at for k in keys), reverse=True)
assert {k.status for k in keys} == {"active", "inactive", "archived"}, {k.status for k in keys}
for key in keys:
    assert key.type == "api_key" and key.partial_key_hint.startswith("sk-ant-api03-")
    assert key.scope.type == "workspace" and key.scope.workspace_id.startswith("wrkspc_")
    assert key.created_by is not None and key.created_by.type == "user"
# Backwards from the end with before_id: the same keys.
last_page = org.api_keys.list(limit=3, after_id=keys[-4].id)
assert [k.id for k in last_page.data] == [k.id for k in keys[-3:]]
backwards = [k.id for k in org.api_keys.list(limit=3, before_id=keys[-1].id)]
# The first page is the one just before the cursor; together the pages are all the rest.
assert sorted(backwards) == sorted(k.id for k in keys[:-1]), backwards
assert backwards[:3] == [k.id for k in keys[-4:-1]], backwards
archived = [k for k in org.api_keys.list(status="archived", limit=1000)]
assert archived and all(k.status == "archived" for k in archived)
in_workspace = list(org.api_keys.list(workspace_id=keys[0].scope.workspace_id))
assert len(in_workspace) == keys_per_workspace

one = strict(org.api_keys.retrieve(keys[0].id))
assert one.id == keys[0].id and one.partial_key_hint == keys[0].partial_key_hint

# Update: rename, disable, enable, archive; an archived key stays archived.
active = next(k for k in keys if k.status == "active")
renamed = strict(org.api_keys.update(active.id, name="renamed by sdk"))
assert renamed.name == "renamed by sdk" and renamed.status == "active"
assert strict(org.api_keys.update(active.id, status="inactive")).status == "inactive"
assert strict(org.api_keys.update(active.id, status="active")).status == "active"
assert strict(org.api_keys.update(active.id, status="archived")).status == "archived"
expect(anthropic.BadRequestError, lambda: org.api_keys.update(active.id, status="active"))
expect(anthropic.BadRequestError, lambda: org.api_keys.update(keys[1].id, name=""))
expect(anthropic.BadRequestError, lambda: org.api_keys.update(keys[1].id, name="x" * 501))
expect(anthropic.NotFoundError, lambda: org.api_keys.retrieve("apikey_missing"))

# Workspaces, for names.
workspaces = [strict(w, "workspace") for w in org.workspaces.list(limit=2)]
assert len(workspaces) == workspaces_expected, len(workspaces)
with_default = list(org.workspaces.list(include_default=True))
assert len(with_default) == workspaces_expected + 1
assert strict(org.workspaces.retrieve(workspaces[0].id)).name == workspaces[0].name
assert {k.scope.workspace_id for k in keys} <= {w.id for w in with_default}


# Usage and cost reports (no SDK method): the client's own GET, pages followed to the end.
def report(path, **params):
    buckets, page = [], None
    while True:
        answer = client.get(path, cast_to=object, options={"params": {**params, **({"page": page} if page else {})}})
        assert set(answer) == {"data", "has_more", "next_page"}, sorted(answer)
        buckets.extend(answer["data"])
        if not answer["has_more"]:
            assert answer["next_page"] is None
            return buckets
        page = answer["next_page"]


usage_fields = {
    "uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens",
    "server_tool_use", "api_key_id", "workspace_id", "model", "service_tier", "context_window",
}
today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
start = (today - datetime.timedelta(days=3)).isoformat().replace("+00:00", "Z")
end = today.isoformat().replace("+00:00", "Z")
daily = report("/v1/organizations/usage_report/messages", starting_at=start, ending_at=end, bucket_width="1d", limit=1)
assert len(daily) == 3 and daily[0]["starting_at"] == start, daily[0]["starting_at"]
hourly = report(
    "/v1/organizations/usage_report/messages",
    starting_at=start,
    ending_at=end,
    bucket_width="1h",
    group_by=["api_key_id", "model"],
)
assert len(hourly) == 72, len(hourly)
for bucket in hourly:
    assert set(bucket) == {"starting_at", "ending_at", "results"}
    for result in bucket["results"]:
        assert set(result) == usage_fields, sorted(result)
        assert set(result["cache_creation"]) == {"ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens"}
tokens = lambda buckets: sum(r["uncached_input_tokens"] + r["output_tokens"] for b in buckets for r in b["results"])
assert tokens(daily) == tokens(hourly) > 0, (tokens(daily), tokens(hourly))
key_ids = {k.id for k in keys}
assert {r["api_key_id"] for b in hourly for r in b["results"]} - {None} <= key_ids

cost = report("/v1/organizations/cost_report", starting_at=start, ending_at=end, group_by=["workspace_id", "description"])
assert len(cost) == 3
amounts = [Decimal(r["amount"]) for b in cost for r in b["results"]]
assert amounts and sum(amounts) > 0 and all(r["currency"] == "USD" for b in cost for r in b["results"])
assert all(isinstance(r["amount"], str) for b in cost for r in b["results"]), "cents as decimal strings"
assert all(r["description"] and r["model"] for b in cost for r in b["results"])

# Errors surface as the SDK's exception classes (retries are off).
expect(anthropic.BadRequestError, lambda: report("/v1/organizations/cost_report", starting_at=start, bucket_width="1h"))
expect(anthropic.BadRequestError, lambda: report("/v1/organizations/usage_report/messages", ending_at=end))
expect(anthropic.BadRequestError, lambda: org.api_keys.list(limit=1001).data)
wrong = Anthropic(api_key="sk-ant-admin01-wrong", base_url=root, max_retries=0)
error = expect(anthropic.AuthenticationError, lambda: wrong.organization.retrieve())
assert error.body["error"]["type"] == "authentication_error" and error.request_id, error.body
inject("/organizations/api_keys", 429, retry_after=3)
error = expect(anthropic.RateLimitError, lambda: org.api_keys.list().data)
assert error.response.headers["retry-after"] == "3" and error.body["error"]["type"] == "rate_limit_error"
inject("/organizations/me", 529)
expect(anthropic.InternalServerError, lambda: org.retrieve())
assert strict(org.retrieve()).id == me.id, "the fault was consumed"

# The docs' headers: x-api-key instead of Bearer; anthropic-version is required.
status, body, _ = raw("/organizations/me", {"x-api-key": admin, "anthropic-version": "2023-06-01"})
assert status == 200 and body["id"] == me.id, body
status, body, headers = raw("/organizations/me", {"x-api-key": admin})
assert status == 400 and body["type"] == "error" and body["error"]["type"] == "invalid_request_error", body
assert headers["request-id"] == body["request_id"]

print("all checks passed")
