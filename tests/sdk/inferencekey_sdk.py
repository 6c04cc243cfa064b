"""The official InferenceKey Python SDK (PyPI `inferencekey`) against keyward-gateway
(issue #8). Run by crates/keyward-gateway/tests/it/sdk.rs with the gateway, project,
tokens and the test's upstream in the environment. Exits non-zero on any failure.
"""

import json
import os
import urllib.request

import inferencekey
from inferencekey import DataClient, ManagementClient, WorkloadSpec

base = os.environ["KW_BASE_URL"]
project = os.environ["KW_PROJECT"]
control = os.environ["KW_CONTROL_TOKEN"]
upstream = os.environ["KW_UPSTREAM"]
data_key = os.environ["KW_KEY"]
revoked_key = os.environ["KW_REVOKED_KEY"]

mgmt = ManagementClient(base_url=base, sdk_token=control, project=project)

# ensure creates; a second ensure with a changed model reconciles with a PATCH.
ref = mgmt.ensure(WorkloadSpec(name="Chat", slug="chat", model="llama", backend="vllm"))
assert ref.workload_slug == "chat" and ref.project_slug == project, ref
mgmt.ensure(WorkloadSpec(name="Chat", slug="chat", model="qwen", backend="vllm"))
mgmt.ensure(
    WorkloadSpec(name="Rank", slug="rank", model="bge-reranker", backend="vllm", task_type="reranker")
)


def control_request(method, path, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {control}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


listed = control_request("GET", f"/api/projects/{project}/workloads")["workloads"]
chat = next(w for w in listed if w["slug"] == "chat")
assert chat["model_name"] == "qwen", chat  # the PATCH landed

# Keyward's own field: point each workload at the test's upstream server.
for w in listed:
    control_request("PATCH", f"/api/workloads/{w['id']}", {"upstream_url": upstream})

# The data key may call these two workloads only (it may name existing ones only).
key_id = os.environ["KW_KEY_ID"]
scoped = control_request("PATCH", f"/v1/inference/keys/{key_id}", {"workloads": ["chat", "rank"]})
assert scoped["workloads"] == ["chat", "rank"], scoped

phases = []
mgmt.wait_until_ready("chat", timeout=60, on_progress=lambda e: phases.append(e.phase))
assert phases[-1] == "ready", phases
assert "bootstrapping" in phases, phases  # the upstream answered 503 while "loading"
mgmt.wait_until_ready("rank", timeout=60, silent=True)

endpoint = DataClient(base_url=base, project=project, api_key=data_key).endpoint("chat")
result = endpoint.generate_text(messages=[{"role": "user", "content": "Hi"}], max_tokens=16)
assert result.text == "Hello there", result
chunks = list(endpoint.generate_text_stream(prompt="Hi", max_tokens=16))
assert "".join(c.text for c in chunks) == "tok0 tok1 tok2 ", chunks
embedded = endpoint.embed(input=["a", "b"])
assert embedded.embeddings[0] == [0.1, 0.2, 0.3], embedded
ranked = (
    DataClient(base_url=base, project=project, api_key=data_key)
    .endpoint("rank")
    .rerank(query="q", documents=["a", "b"], top_n=2)
)
assert ranked.results[0].index == 1, ranked

# Least privilege: a data key cannot provision; a revoked key cannot infer.
try:
    ManagementClient(base_url=base, sdk_token=data_key, project=project).ensure(
        WorkloadSpec(name="X", slug="x", model="m", backend="vllm")
    )
    raise AssertionError("a data key provisioned")
except inferencekey.PermissionDenied as e:
    assert "wrong_credential_type" in str(e), e
try:
    DataClient(base_url=base, project=project, api_key=revoked_key).endpoint("chat").generate_text(
        prompt="Hi"
    )
    raise AssertionError("a revoked key was served")
except (inferencekey.AuthError, inferencekey.PermissionDenied) as e:
    # inferencekey 0.260725.739 raises PermissionDenied("authentication failed: …") for
    # every HTTP 401 (checked against a scripted server: JSON body, WWW-Authenticate,
    # empty body alike); AuthError is only raised from a ValueError the native layer
    # never produces for a status. What matters: the SDK saw a 401, and says why.
    assert str(e).startswith("authentication failed"), e
    assert "revoked" in str(e), e

assert mgmt.delete("rank") is True
assert mgmt.delete("rank") is False
print("inferencekey sdk: all checks passed")
