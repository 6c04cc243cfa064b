"""The official OpenAI Python SDK's admin resources against keyward-fakes' OpenAI fake (issue #17).

Run by crates/keyward-fakes/tests/it/sdk.rs with the fake's URL, admin key and the shape
of its generated organisation in the environment. Responses are parsed with the SDK's
strict validation, and every model is checked for fields the SDK does not know, so a
field the fake omits, mistypes or invents fails the script. Every check raises on
failure; the process exits non-zero.
"""

import json
import os
import time
import urllib.request

import openai
from openai import OpenAI
from pydantic import BaseModel

base = os.environ["KW_BASE_URL"]  # the API root, ".../v1"
admin = os.environ["KW_ADMIN_KEY"]
projects_expected = int(os.environ["KW_PROJECTS"])
keys_per_project = int(os.environ["KW_KEYS_PER_PROJECT"])
root = base.rsplit("/v1", 1)[0]

client = OpenAI(
    admin_api_key=admin,
    base_url=base,
    max_retries=0,
    _strict_response_validation=True,
)
org = client.admin.organization


def strict(obj, where="response"):
    """No field the SDK's model does not declare, at any depth."""
    if isinstance(obj, BaseModel):
        extra = obj.model_extra or {}
        assert not extra, f"{where}: fields unknown to the SDK: {sorted(extra)}"
        for name in type(obj).model_fields:
            strict(getattr(obj, name), f"{where}.{name}")
        # The typed model round-trips through its own dict form.
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


# Projects: paged two at a time to the end.
projects = [strict(p, "project") for p in org.projects.list(limit=2)]
assert len(projects) == projects_expected, len(projects)
assert len({p.id for p in projects}) == projects_expected
assert all(p.object == "organization.project" and p.id.startswith("proj_") for p in projects)
assert [p.id for p in org.projects.list(include_archived=True)] == [p.id for p in projects]
first = strict(org.projects.retrieve(projects[0].id))
assert first.id == projects[0].id and first.name == projects[0].name

# API keys of every project, three per page to the end.
all_keys = {}
for project in projects:
    keys = [strict(k, "api_key") for k in org.projects.api_keys.list(project.id, limit=3)]
    assert len(keys) == keys_per_project, (project.id, len(keys))
    for key in keys:
        assert key.object == "organization.project.api_key"
        assert key.owner.type in ("user", "service_account"), key.owner
        if key.owner.type == "user":
            assert key.owner.user is not None and key.redacted_value.startswith("sk-proj-")
        else:
            assert key.owner.service_account is not None
            assert key.redacted_value.startswith("sk-svcacct-")
        all_keys[key.id] = (project.id, key)
    one = strict(org.projects.api_keys.retrieve(keys[0].id, project_id=project.id))
    assert one.id == keys[0].id and one.redacted_value == keys[0].redacted_value
owners = {k.owner.type for _, k in all_keys.values()}
assert owners == {"user", "service_account"}, owners
assert any(k.last_used_at is None for _, k in all_keys.values()), "some keys never used"
assert any(k.last_used_at is not None for _, k in all_keys.values())

# Service accounts: list, create (its key shown once), retrieve, delete.
project_id = projects[0].id
accounts = [strict(a, "service_account") for a in org.projects.service_accounts.list(project_id, limit=1)]
assert accounts, "the generated project has service accounts"
created = strict(org.projects.service_accounts.create(project_id, name="sdk-bot"))
assert created.api_key is not None and created.api_key.value.startswith("sk-svcacct-")
secret = created.api_key.value
listed = {k.id: k for k in org.projects.api_keys.list(project_id, limit=100)}
new_key = listed[created.api_key.id]
assert new_key.owner.type == "service_account" and new_key.owner.service_account.id == created.id
assert new_key.redacted_value.endswith(secret[-4:]), (new_key.redacted_value, secret[-4:])
assert strict(org.projects.service_accounts.retrieve(created.id, project_id=project_id)).name == "sdk-bot"
only = strict(org.projects.service_accounts.create(project_id, name="bare", create_service_account_only=True))
assert only.api_key is None

# A service account's key cannot be deleted on its own …
error = expect(openai.BadRequestError, lambda: org.projects.api_keys.delete(created.api_key.id, project_id=project_id))
assert "service account" in str(error), error
# … the service account is deleted instead, and its key goes with it.
gone = strict(org.projects.service_accounts.delete(created.id, project_id=project_id))
assert gone.deleted and gone.id == created.id
assert created.api_key.id not in {k.id for k in org.projects.api_keys.list(project_id, limit=100)}
expect(openai.NotFoundError, lambda: org.projects.service_accounts.retrieve(created.id, project_id=project_id))

# A user's key is deleted directly.
user_key = next(k for pid, k in all_keys.values() if pid == project_id and k.owner.type == "user")
deleted = strict(org.projects.api_keys.delete(user_key.id, project_id=project_id))
assert deleted.deleted and deleted.id == user_key.id
expect(openai.NotFoundError, lambda: org.projects.api_keys.retrieve(user_key.id, project_id=project_id))

# Project limits.
limits = [strict(r, "rate_limit") for r in org.projects.rate_limits.list_rate_limits(project_id, limit=1)]
assert len(limits) >= 3 and all(r.object == "project.rate_limit" for r in limits)
for project in projects:
    permissions = strict(org.projects.model_permissions.retrieve(project.id))
    assert permissions.mode in ("allow_list", "deny_list")
spend_limits = 0
for project in projects:
    try:
        limit = strict(org.projects.spend_limit.retrieve(project.id))
        assert limit.threshold_amount > 0 and limit.currency == "USD"
        spend_limits += 1
    except openai.NotFoundError:
        pass
assert 0 < spend_limits < len(projects) or len(projects) < 2, spend_limits

# The admin key identifies the organisation's owner.
admin_keys = [strict(k, "admin_key") for k in org.admin_api_keys.list()]
assert len(admin_keys) == 1 and admin_keys[0].redacted_value.startswith("sk-admin-")
assert admin_keys[0].redacted_value.endswith(admin[-4:])
assert strict(org.admin_api_keys.retrieve(admin_keys[0].id)).id == admin_keys[0].id


# Usage and costs, paged by next_page to the end; tokens agree across bucket widths.
def pages(call, **params):
    buckets, page = [], None
    while True:
        answer = strict(call(**params, **({"page": page} if page else {})), "usage page")
        buckets.extend(answer.data)
        if not answer.has_more:
            assert answer.next_page is None
            return buckets
        page = answer.next_page


day = 86_400
end = int(time.time()) // day * day
start = end - 3 * day
daily = pages(org.usage.completions, start_time=start, end_time=end, bucket_width="1d", limit=1)
assert len(daily) == 3, len(daily)
hourly = pages(
    org.usage.completions,
    start_time=start,
    end_time=end,
    bucket_width="1h",
    group_by=["api_key_id", "model"],
    limit=24,
)
assert len(hourly) == 72, len(hourly)
total = lambda buckets: sum(r.input_tokens + r.output_tokens for b in buckets for r in b.results)
assert total(daily) == total(hourly) > 0, (total(daily), total(hourly))
assert all(r.api_key_id in all_keys for b in hourly for r in b.results), "grouped by known keys"
assert all(r.model for b in hourly for r in b.results)
minutes = pages(org.usage.completions, start_time=end - 3 * 3600, end_time=end, bucket_width="1m", limit=60)
assert len(minutes) == 180 and all(b.end_time - b.start_time == 60 for b in minutes)
some_key = next(r.api_key_id for b in hourly for r in b.results)
only_key = pages(org.usage.completions, start_time=start, end_time=end, api_key_ids=[some_key], group_by=["api_key_id"])
assert {r.api_key_id for b in only_key for r in b.results} == {some_key}

costs = pages(org.usage.costs, start_time=end - 40 * day, end_time=end, group_by=["api_key_id"], limit=7)
assert len(costs) == 40, len(costs)
assert all(r.amount.currency == "usd" and r.amount.value >= 0 for b in costs for r in b.results)
assert sum(r.amount.value for b in costs for r in b.results) > 0
lines = pages(org.usage.costs, start_time=start, end_time=end, group_by=["line_item", "project_id"], limit=180)
assert all(r.line_item and r.project_id for b in lines for r in b.results)

# Errors surface as the SDK's exception classes (retries are off).
expect(openai.BadRequestError, lambda: org.usage.completions(start_time=start, bucket_width="1d", limit=32))
expect(openai.BadRequestError, lambda: org.usage.costs(start_time=start, limit=181))
expect(openai.BadRequestError, lambda: org.projects.list(limit=0).data)
expect(openai.NotFoundError, lambda: org.projects.retrieve("proj_missing"))
wrong = OpenAI(admin_api_key="sk-admin-wrong", base_url=base, max_retries=0)
error = expect(openai.AuthenticationError, lambda: wrong.admin.organization.projects.list().data)
assert error.code == "invalid_api_key", error.body
project_key = OpenAI(admin_api_key="sk-proj-" + "x" * 40, base_url=base, max_retries=0)
error = expect(openai.AuthenticationError, lambda: project_key.admin.organization.projects.list().data)
assert "insufficient permissions" in error.message, error.message
inject("/organization/projects", 429, retry_after=7)
error = expect(openai.RateLimitError, lambda: org.projects.list().data)
assert error.response.headers["retry-after"] == "7" and error.code == "rate_limit_exceeded"
inject("/organization/costs", 503)
expect(openai.InternalServerError, lambda: org.usage.costs(start_time=start))
assert org.projects.list().data, "the fault was consumed"

print("all checks passed")
