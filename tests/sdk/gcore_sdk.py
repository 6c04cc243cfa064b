"""The official Gcore Python SDK's Everywhere Inference resources against keyward-fakes' Gcore fake (issue #19).

Run by crates/keyward-fakes/tests/it/sdk.rs with the fake's root URL, API token, the seeded
project and how many generated keys it holds, and how many polls a task takes. Answers
are parsed with the SDK's strict validation and every model is checked for fields the
SDK does not know, so a field the fake omits, mistypes or invents fails the script.
Covered: projects and regions, inference API keys (create / list with paging / get /
update / delete, the 409 on deleting an attached key), deployments (create / list / get
/ update incl. attaching keys / delete / start / stop / logs) and tasks followed to
FINISHED or ERROR, plus injected faults as the SDK's typed errors. Every check raises on
failure; the process exits non-zero.
"""

import json
import os
import urllib.request

import gcore
from gcore import Gcore
from pydantic import BaseModel

base = os.environ["KW_BASE_URL"]  # the API root
token = os.environ["KW_ADMIN_KEY"]
project_id = int(os.environ["KW_PROJECT_ID"])
keys_expected = int(os.environ["KW_KEYS"])
task_polls = int(os.environ["KW_TASK_POLLS"])

client = Gcore(
    api_key=token,
    base_url=base,
    cloud_project_id=project_id,
    cloud_region_id=76,
    max_retries=0,
    polling_interval_seconds=1,
    _strict_response_validation=True,
)
inference = client.cloud.inference
# Task polls count here, not seconds: the fake's tasks end after a number of polls.
polls_slept = []
client.cloud.tasks._sleep = lambda seconds: polls_slept.append(seconds)


def strict(obj, where="response"):
    """No field the SDK's model does not declare, at any depth."""
    if isinstance(obj, BaseModel):
        extra = obj.model_extra or {}
        assert not extra, f"{where}: fields unknown to the SDK: {sorted(extra)}"
        for name in type(obj).model_fields:
            strict(getattr(obj, name), f"{where}.{name}")
        type(obj).model_validate(obj.to_dict())
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            strict(item, f"{where}[{i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            strict(item, f"{where}.{key}")
    return obj


def control(path, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    return urllib.request.urlopen(request).status


def inject(path_contains, status, retry_after=None):
    body = {"path_contains": path_contains, "status": status, "retry_after": retry_after}
    assert control("/_fake/faults", body) == 201


def hook(which, **body):
    assert control(f"/_fake/gcore/{which}", body) == 204


def raw(path):
    request = urllib.request.Request(base + path, headers={"authorization": f"APIKey {token}"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def expect(error_class, call):
    try:
        call()
    except error_class as e:
        return e
    raise AssertionError(f"expected {error_class.__name__}")


def follow(task_id):
    """Polls a task with tasks.get until it ends; returns the states seen."""
    seen = []
    while True:
        task = strict(client.cloud.tasks.get(task_id))
        seen.append(task.state)
        if task.state in ("FINISHED", "ERROR"):
            return task, seen
        assert len(seen) < 50, f"task {task_id} does not end: {seen}"


# --- projects and regions (Test connection) ---
projects = [strict(p) for p in client.cloud.projects.list()]
assert project_id in [p.id for p in projects], projects
assert [p.is_default for p in projects if p.id == project_id] == [True]
assert strict(client.cloud.projects.get(project_id=project_id)).name == "default"
regions = [strict(r) for r in client.cloud.regions.list()]
assert {76, 38, 110} <= {r.id for r in regions if r.has_ai}, regions
assert strict(client.cloud.regions.get(region_id=38)).display_name == "Amsterdam"

# --- keys: paging ---
page = inference.api_keys.list(limit=10)
assert page.count == keys_expected, page.count
listed = [strict(k) for k in inference.api_keys.list(limit=10)]  # auto-paging by offset
assert len(listed) == keys_expected, len(listed)
assert len({k.name for k in listed}) == keys_expected
assert all("secret" not in k for k in raw(f"/cloud/v3/inference/{project_id}/api_keys?limit=1000")["results"])
ci = strict(inference.api_keys.get("ci-runner"))
assert sorted(ci.deployment_names) == ["llama-chat", "whisper-asr"], ci
expect(gcore.UnprocessableEntityError, lambda: inference.api_keys.list(limit=1001))
expect(gcore.UnprocessableEntityError, lambda: inference.api_keys.list(limit=0))

# --- keys: create, the secret once, update ---
created = strict(inference.api_keys.create(name="sdk-key", description="made by the SDK", expires_at="2027-01-01"))
assert len(created.secret) >= 16
assert created.expires_at == "2027-01-01T00:00:00Z", created.expires_at
assert created.deployment_names == []
fetched = inference.api_keys.get("sdk-key")
assert "secret" not in fetched.to_dict() and fetched.description == "made by the SDK"
assert created.secret not in json.dumps(raw(f"/cloud/v3/inference/{project_id}/api_keys?limit=1000"))
updated = strict(inference.api_keys.update("sdk-key", description="renamed purpose"))
assert updated.description == "renamed purpose" and updated.expires_at == created.expires_at
for bad, field in [
    (dict(name="ab"), "name"),
    (dict(name="Upper-Case"), "name"),
    (dict(name="x" * 64), "name"),
    (dict(name="okay-name", description="d" * 301), "description"),
    (dict(name="okay-name", expires_at="soon"), "expires_at"),
]:
    e = expect(gcore.UnprocessableEntityError, lambda: inference.api_keys.create(**bad))
    assert e.body["message"].startswith(field), (bad, e.body)
expect(gcore.ConflictError, lambda: inference.api_keys.create(name="sdk-key"))
expect(gcore.NotFoundError, lambda: inference.api_keys.get("no-such-key"))
# Dotted names are created; the path schema has no dots, so they cannot be addressed.
assert inference.api_keys.create(name="team.batch").name == "team.batch"
expect(gcore.UnprocessableEntityError, lambda: inference.api_keys.get("team.batch"))

# --- keys: 409 while attached (the SDK retries 409, so no retries here) ---
conflict = expect(
    gcore.ConflictError, lambda: client.with_options(max_retries=0).cloud.inference.api_keys.delete("ci-runner")
)
assert conflict.status_code == 409 and "llama-chat" in conflict.body["message"]

# --- deployments: the seeded states ---
deployments = {d.name: strict(d) for d in inference.deployments.list()}
assert {n: d.status for n, d in deployments.items()} == {
    "llama-chat": "ACTIVE",
    "whisper-asr": "PENDING",
    "sd-turbo": "DISABLED",
}, deployments
chat = deployments["llama-chat"]
assert [(c.region_id, c.deploy_status.ready, c.deploy_status.total) for c in chat.containers] == [(76, 1, 1), (38, 1, 1)]
assert chat.auth_enabled and chat.api_keys == ["ci-runner", "staging-app"] and chat.address
assert [d.name for d in inference.deployments.list(limit=2, offset=1)] == ["whisper-asr", "sd-turbo"]

# --- deployments: create and follow its task ---
answer = strict(
    inference.deployments.create(
        name="sdk-deploy",
        image="vllm/vllm-openai:v0.6.3",
        listening_port=8000,
        flavor_name="inference-1xa100-16vcpu-200gb",
        containers=[{"region_id": 76, "scale": {"min": 1, "max": 2}}, {"region_id": 110, "scale": {"min": 2, "max": 4}}],
        api_keys=["sdk-key"],
        auth_enabled=True,
        envs={"MODEL": "Qwen/Qwen2.5-7B-Instruct"},
        command=["--max-model-len", "4096"],
        description="made by the SDK",
        probes={"readiness_probe": {"enabled": True, "probe": {"http_get": {"port": 8000, "path": "/health"}}}},
        api_timeout=300,
    )
)
assert len(answer.tasks) == 1
deploying = strict(inference.deployments.get("sdk-deploy"))
assert deploying.status == "DEPLOYING" and deploying.containers == [], deploying
assert strict(inference.api_keys.get("sdk-key")).deployment_names == ["sdk-deploy"]
task, seen = follow(answer.tasks[0])
expected_states = (["NEW"] + ["RUNNING"] * (task_polls - 2) + ["FINISHED"]) if task_polls > 1 else ["FINISHED"]
assert seen == expected_states, seen
assert task.created_resources.inference_instances == ["sdk-deploy"] and task.error is None
done = strict(inference.deployments.get("sdk-deploy"))
assert done.status == "ACTIVE", done.status
assert [(c.region_id, c.deploy_status.ready, c.deploy_status.total) for c in done.containers] == [(76, 1, 1), (110, 2, 2)]
assert done.command == "--max-model-len 4096" and done.timeout == 300 and done.envs == {"MODEL": "Qwen/Qwen2.5-7B-Instruct"}
probe = done.probes.readiness_probe
assert probe.enabled and probe.probe.http_get.path == "/health" and probe.probe.failure_threshold == 3
assert done.probes.liveness_probe is None
e = expect(gcore.UnprocessableEntityError, lambda: inference.deployments.create(
    name="x", image="nginx", listening_port=80, flavor_name="f", containers=[{"region_id": 76, "scale": {"min": 0, "max": 1}}]))
assert e.body["message"].startswith("name"), e.body
e = expect(gcore.UnprocessableEntityError, lambda: inference.deployments.create(
    name="bad-scale", image="nginx", listening_port=80, flavor_name="f", containers=[{"region_id": 76, "scale": {"min": 0, "max": 301}}]))
assert e.body["message"].startswith("containers.0.scale.max"), e.body

# create_and_poll: the SDK's own follow-up (tasks.poll, created_resources, get).
polled = strict(inference.deployments.create_and_poll(
    name="sdk-polled", image="nginx:1.27", listening_port=80, flavor_name="inference-16vcpu-32gb",
    containers=[{"region_id": 38, "scale": {"min": 0, "max": 1}}], polling_timeout_seconds=60))
assert polled.status == "ACTIVE" and polled.name == "sdk-polled"

# --- attach and detach keys on a deployment ---
attach = strict(inference.deployments.update("sdk-deploy", api_keys=["sdk-key", "ci-runner"], auth_enabled=True))
assert strict(client.cloud.tasks.poll(attach.tasks[0])).state == "FINISHED"
assert sorted(strict(inference.api_keys.get("ci-runner")).deployment_names) == ["llama-chat", "sdk-deploy", "whisper-asr"]
detach = inference.deployments.update("sdk-deploy", api_keys=[])
client.cloud.tasks.poll(detach.tasks[0])
assert inference.api_keys.get("sdk-key").deployment_names == []
assert inference.deployments.get("sdk-deploy").api_keys == []
e = expect(gcore.BadRequestError, lambda: inference.deployments.update("sdk-deploy", api_keys=["no-such-key"]))
assert "no-such-key" in e.body["message"]
expect(gcore.NotFoundError, lambda: inference.deployments.update("no-such-deploy", description="x"))

# --- a task that ends in ERROR: the update is rolled back ---
hook("fail_next_task", message="Not enough GPU quota in region 76.")
failing = inference.deployments.update("sdk-deploy", listening_port=9000)
assert inference.deployments.get("sdk-deploy").listening_port == 9000
error = expect(ValueError, lambda: client.cloud.tasks.poll(failing.tasks[0]))
assert "GPU quota" in str(error)
task = strict(client.cloud.tasks.get(failing.tasks[0]))
assert task.state == "ERROR" and task.error == "Not enough GPU quota in region 76."
after = inference.deployments.get("sdk-deploy")
assert after.listening_port == 8000 and after.status == "ACTIVE"

# --- one region's containers fail; scaled to zero ---
hook("fail_region", region_id=110, message="Back-off pulling image: manifest unknown")
partial = strict(inference.deployments.get("sdk-deploy"))
assert partial.status == "PARTIALLYDEPLOYED"
failed = [c for c in partial.containers if c.error_message]
assert [(c.region_id, c.deploy_status.ready, c.deploy_status.total) for c in failed] == [(110, 0, 2)]
assert failed[0].error_message == "Back-off pulling image: manifest unknown"
hook("heal_region", region_id=110)
hook("scale_to_zero", project_id=project_id, name="sdk-deploy")
assert inference.deployments.get("sdk-deploy").status == "PENDING"

# --- stop and start ---
assert inference.deployments.stop("sdk-deploy") is None
assert strict(inference.deployments.get("sdk-deploy")).status == "DISABLED"
assert inference.deployments.start("sdk-deploy") is None
statuses = [strict(inference.deployments.get("sdk-deploy")).status for _ in range(task_polls)]
assert statuses[0] == "DEPLOYING" and statuses[-1] == "ACTIVE", statuses

# --- logs, paged by offset ---
logs = [strict(line) for line in inference.deployments.logs.list("sdk-deploy", limit=5)]
assert len(logs) == inference.deployments.logs.list("sdk-deploy").count > 5
assert {line.region_id for line in logs} == {76, 110}
in_76 = list(inference.deployments.logs.list("sdk-deploy", region_id=76, order_by="time.asc", limit=3))
assert {line.region_id for line in in_76} == {76}
assert [line.time for line in in_76] == sorted(line.time for line in in_76)

# --- delete: DELETING until the task ends, then gone and detached ---
gone = inference.deployments.delete("llama-chat")
assert strict(inference.deployments.get("llama-chat")).status == "DELETING"
expect(gcore.ConflictError, lambda: client.with_options(max_retries=0).cloud.inference.api_keys.delete("staging-app"))
assert strict(client.cloud.tasks.poll(gone.tasks[0])).state == "FINISHED"
expect(gcore.NotFoundError, lambda: inference.deployments.get("llama-chat"))
assert inference.api_keys.get("staging-app").deployment_names == []
assert inference.api_keys.delete("staging-app") is None
expect(gcore.NotFoundError, lambda: inference.api_keys.get("staging-app"))
# Revoke as Keyward does it: detach from every deployment, then delete.
for name in inference.api_keys.get("ci-runner").deployment_names:
    keys = [k for k in inference.deployments.get(name).api_keys or [] if k != "ci-runner"]
    client.cloud.tasks.poll(inference.deployments.update(name, api_keys=keys).tasks[0])
inference.api_keys.delete("ci-runner")
assert "ci-runner" not in [k.name for k in inference.api_keys.list()]

# --- failures as the SDK's typed errors ---
inject("/api_keys", 429, retry_after=1)
e = expect(gcore.RateLimitError, lambda: inference.api_keys.list())
assert e.response.headers["retry-after"] == "1" and e.body["code"] == 429
inject("/deployments", 500)
expect(gcore.InternalServerError, lambda: inference.deployments.list())
inject("/cloud/v1/tasks", 403)
expect(gcore.PermissionDeniedError, lambda: client.cloud.tasks.get(gone.tasks[0]))
wrong = Gcore(api_key="1$wrong", base_url=base, cloud_project_id=project_id, max_retries=0)
e = expect(gcore.AuthenticationError, lambda: wrong.cloud.projects.list())
assert e.body["code"] == 401 and e.body["message"]
expect(gcore.NotFoundError, lambda: client.cloud.inference.api_keys.list(project_id=999))

print("gcore SDK: all checks passed")
