"""The official OpenAI Python SDK against keyward-gateway (issue #6).

Run by crates/keyward-gateway/tests/it/sdk.rs with the gateway's URL and keys in the
environment. Every check raises on failure; the process exits non-zero.
"""

import os

import openai
from openai import OpenAI

base = os.environ["KW_BASE_URL"] + "/v1"
key = os.environ["KW_KEY"]
narrow = os.environ["KW_NARROW_KEY"]  # may call only the "embed" workload
limited = os.environ["KW_LIMITED_KEY"]  # rpm = 2
revoked = os.environ["KW_REVOKED_KEY"]
messages = [{"role": "user", "content": "Say hello"}]

# The key as api_key (Authorization: Bearer) …
client = OpenAI(base_url=base, api_key=key, max_retries=0)
chat = client.chat.completions.create(model="chat", messages=messages, max_tokens=16)
assert chat.choices[0].message.content == "Hello there", chat
assert chat.usage.prompt_tokens == 11 and chat.usage.completion_tokens == 7, chat.usage

chunks = list(
    client.chat.completions.create(
        model="chat", messages=messages, stream=True, max_tokens=16
    )
)
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert text == "tok0 tok1 tok2 ", text
assert all(c.usage is None for c in chunks), "no usage chunk unless asked for"
chunks = list(
    client.chat.completions.create(
        model="chat",
        messages=messages,
        stream=True,
        max_tokens=16,
        stream_options={"include_usage": True},
    )
)
assert chunks[-1].usage.prompt_tokens == 13, chunks[-1]

emb = client.embeddings.create(model="bge-m3", input=["a"])
assert emb.data[0].embedding == [0.1, 0.2, 0.3], emb

models = [m.id for m in client.models.list().data]
assert sorted(models) == ["bge-m3", "llama"], models

# … and as X-Api-Key.
by_header = OpenAI(
    base_url=base, api_key="unused", default_headers={"X-Api-Key": key}, max_retries=0
)
by_header.chat.completions.create(model="chat", messages=messages)
# X-Api-Key wins only when no Bearer is sent; here the SDK also sends Bearer "unused",
# so the gateway must prefer the header that carries a key.


def raises(exc, call):
    try:
        call()
    except exc as e:
        return e
    raise AssertionError(f"expected {exc.__name__}")


narrow_client = OpenAI(base_url=base, api_key=narrow, max_retries=0)
err = raises(
    openai.PermissionDeniedError,
    lambda: narrow_client.chat.completions.create(model="chat", messages=messages),
)
assert "scope_insufficient" in str(err), err

limited_client = OpenAI(base_url=base, api_key=limited, max_retries=0)
limited_client.chat.completions.create(model="chat", messages=messages, max_tokens=8)
limited_client.chat.completions.create(model="chat", messages=messages, max_tokens=8)
err = raises(
    openai.RateLimitError,
    lambda: limited_client.chat.completions.create(
        model="chat", messages=messages, max_tokens=8
    ),
)
assert int(err.response.headers["retry-after"]) >= 1

revoked_client = OpenAI(base_url=base, api_key=revoked, max_retries=0)
raises(
    openai.AuthenticationError,
    lambda: revoked_client.chat.completions.create(model="chat", messages=messages),
)
raises(
    openai.NotFoundError,
    lambda: client.chat.completions.create(model="gpt-9", messages=messages),
)
print("openai sdk: all checks passed")
