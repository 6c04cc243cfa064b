//! Token estimates for the requests an upstream reports no usage for: an upstream
//! that ignores `stream_options.include_usage` or sends no `usage`, and streams cut
//! before their usage chunk (the client went away, the upstream closed or went silent).
//!
//! What is counted is text, never bytes: the prompt (chat messages' `content`, a
//! completion's `prompt`, an embedding's `input`, a rerank's query and documents) and
//! the answer's text the client actually received (`message.content`, `text`, a
//! stream's `delta.content`, reasoning and tool-call arguments). Counting the answer's
//! bytes with their JSON and SSE framing overstated a four-token answer 47 times
//! (issue #15).
//!
//! Which tokenizer: the gateway does not know the upstream model's own, so it counts
//! with OpenAI's `o200k_base` (tiktoken), the documented approximation for every model.
//! A model with another vocabulary counts differently: on the corpus of
//! tests/it/estimates.rs (eight languages, code, numbers, emoji) `cl100k_base` counts
//! the answers 17 % higher in total. Chat templates
//! add a few tokens per message (role markers), which the estimate adds as a constant
//! (within 11 % of a ChatML template's count there); images and audio in a prompt are
//! not counted.
//!
//! Cost: nothing is tokenized unless an estimate is needed, and the tokenizer is built
//! the first time one is — never by a gateway whose upstreams always report usage. In a
//! release build that takes ≈ 0.2 s (on the worker thread that needs it, once) and
//! ≈ 46 MB of memory; counting then runs at ≈ 40 MB of text a second. A stream's text is kept as it arrives (the
//! usage chunk, if any, comes last), up to [`SAMPLE`] bytes; beyond that only its length
//! is, and the whole is estimated from the sample, scaled by length. Texts longer than
//! [`WHOLE`] (a long prompt) are counted the same way.

use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// Longest text counted token by token; longer ones are sampled.
const WHOLE: usize = 256 * 1024;
/// How much of a long text is counted to estimate the whole (and the most of a
/// stream's text kept).
const SAMPLE: usize = 64 * 1024;
/// Tokens a chat template adds around each message (start and end markers, the role,
/// a separator), as OpenAI documents for its chat models.
const PER_MESSAGE: u64 = 3;
/// Tokens that start the assistant's reply in a chat template.
const REPLY_PRIMING: u64 = 3;

fn bpe() -> &'static tiktoken_rs::CoreBPE {
    tiktoken_rs::o200k_base_singleton()
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Tokens of `text` (estimated from a sample beyond [`WHOLE`] bytes).
pub fn count(text: &str) -> u64 {
    if text.len() <= WHOLE {
        return count_sampled(text, 0);
    }
    let sample = prefix(text, SAMPLE);
    count_sampled(sample, text.len() - sample.len())
}

/// Tokens of `sample` and of `more` bytes of text like it.
fn count_sampled(sample: &str, more: usize) -> u64 {
    if sample.is_empty() {
        return 0;
    }
    let counted = bpe().count_ordinary(sample) as u64;
    if more == 0 {
        return counted;
    }
    let scale = (sample.len() + more) as f64 / sample.len() as f64;
    (counted as f64 * scale).ceil() as u64
}

/// Tokens of a request's prompt, from the body as forwarded.
pub fn prompt_tokens(operation: super::Operation, body: &[u8]) -> u64 {
    use super::Operation;
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    match operation {
        Operation::ChatCompletions => {
            let messages = body["messages"].as_array().map(Vec::as_slice);
            let mut tokens = REPLY_PRIMING;
            for message in messages.unwrap_or_default() {
                tokens += PER_MESSAGE;
                tokens += texts(&message["role"]) + texts(&message["name"]);
                tokens += texts(&message["content"]);
                tokens += tool_calls(&message["tool_calls"]);
            }
            // Tool definitions are written into the prompt by the chat template.
            if let Some(tools) = body.get("tools").filter(|t| !t.is_null()) {
                tokens += count(&tools.to_string());
            }
            tokens
        }
        Operation::Completions => texts(&body["prompt"]),
        Operation::Embeddings => texts(&body["input"]),
        Operation::Rerank => {
            // Each document is scored together with the query.
            let documents = body["documents"].as_array().map(Vec::as_slice);
            let documents = documents.unwrap_or_default();
            let query = texts(&body["query"]);
            documents
                .iter()
                .map(|document| query + texts(document))
                .sum()
        }
    }
}

/// Tokens of a prompt-like value: a string; token ids (counted as they are); a list of
/// either; content parts (`{"type":"text","text":…}`, images not counted); a document
/// (`{"text":…}`).
fn texts(value: &Value) -> u64 {
    match value {
        Value::String(text) => count(text),
        Value::Number(_) => 1,
        Value::Array(items) => items.iter().map(texts).sum(),
        Value::Object(part) => part.get("text").map(texts).unwrap_or(0),
        Value::Null | Value::Bool(_) => 0,
    }
}

/// Tokens of the tool calls in an assistant message (their names and arguments).
fn tool_calls(value: &Value) -> u64 {
    let calls = value.as_array().map(Vec::as_slice).unwrap_or_default();
    calls
        .iter()
        .map(|call| texts(&call["function"]["name"]) + texts(&call["function"]["arguments"]))
        .sum()
}

/// The text of an answer a client received: its first [`SAMPLE`] bytes, and the
/// length of the rest. Tokenized only if asked for the count.
#[derive(Default)]
pub struct Received {
    sample: String,
    more: usize,
}

impl Received {
    pub fn push(&mut self, text: &str) {
        if self.more > 0 || self.sample.len() + text.len() > SAMPLE {
            let kept = prefix(text, SAMPLE.saturating_sub(self.sample.len()));
            self.sample.push_str(kept);
            self.more += text.len() - kept.len();
        } else {
            self.sample.push_str(text);
        }
    }

    /// Everything received, in tokens.
    pub fn tokens(&self) -> u64 {
        count_sampled(&self.sample, self.more)
    }

    /// Takes in the text of a whole (non-streamed) answer.
    pub fn push_answer(&mut self, answer: &[u8]) {
        let Ok(answer) = serde_json::from_slice::<Answer>(answer) else {
            return;
        };
        for choice in answer.choices.unwrap_or_default() {
            if let Some(message) = choice.message {
                self.push_piece(&message);
            }
            if let Some(text) = choice.text {
                self.push(&text);
            }
        }
    }

    /// Takes in the text of one stream event (`data: {…}`).
    pub fn push_chunk(&mut self, choices: &[ChunkChoice<'_>]) {
        for choice in choices {
            if let Some(delta) = &choice.delta {
                self.push_piece(delta);
            }
            if let Some(text) = &choice.text {
                self.push(text);
            }
        }
    }

    fn push_piece(&mut self, piece: &Piece<'_>) {
        for text in [&piece.content, &piece.reasoning_content, &piece.reasoning]
            .into_iter()
            .flatten()
        {
            match text {
                Content::Text(text) => self.push(text),
                Content::Parts(parts) => {
                    for part in parts {
                        if let Some(text) = &part.text {
                            self.push(text);
                        }
                    }
                }
            }
        }
        for call in piece.tool_calls.iter().flatten() {
            if let Some(function) = &call.function {
                for text in [&function.name, &function.arguments].into_iter().flatten() {
                    self.push(text);
                }
            }
        }
    }
}

/// A non-streamed answer's choices.
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    choices: Option<Vec<AnswerChoice<'a>>>,
}

#[derive(Deserialize)]
struct AnswerChoice<'a> {
    #[serde(borrow)]
    message: Option<Piece<'a>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

/// A stream event's choice: a chat `delta`, or a completion's `text`.
#[derive(Deserialize)]
pub struct ChunkChoice<'a> {
    #[serde(borrow)]
    delta: Option<Piece<'a>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

/// A chat message or delta: what the model wrote (its reasoning too, as vLLM and
/// SGLang send it, and its tool calls).
#[derive(Deserialize)]
struct Piece<'a> {
    #[serde(borrow)]
    content: Option<Content<'a>>,
    #[serde(borrow)]
    reasoning_content: Option<Content<'a>>,
    #[serde(borrow)]
    reasoning: Option<Content<'a>>,
    #[serde(borrow)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
}

/// A message's content: text, or parts (`{"type":"text","text":…}`).
enum Content<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<Part>),
}

/// Read by hand: `#[serde(untagged)]` buffers every value before trying each shape,
/// which made reading a stream event several times slower, once per event.
impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shapes<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Shapes<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of content parts")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(text)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Content<'a>, A::Error> {
                let mut parts = Vec::new();
                while let Some(part) = seq.next_element::<Part>()? {
                    parts.push(part);
                }
                Ok(Content::Parts(parts))
            }
        }
        d.deserialize_any(Shapes(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
}

#[derive(Deserialize)]
struct ToolCall<'a> {
    #[serde(borrow)]
    function: Option<Function<'a>>,
}

#[derive(Deserialize)]
struct Function<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::Operation;

    #[test]
    fn text_is_counted_not_its_framing() {
        assert_eq!(count(""), 0);
        assert_eq!(count("Hello there"), 2);
        let mut received = Received::default();
        received.push_answer(
            br#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}]}"#,
        );
        assert_eq!(received.tokens(), 2);
    }

    #[test]
    fn long_text_is_kept_bounded_and_sampled_close_to_its_whole_count() {
        let sentence = "The quick brown fox jumps over the lazy dog, 42 times. Ça va? ";
        let text = sentence.repeat(20_000); // ≈ 1.2 MB
        let exact = bpe().count_ordinary(&text) as f64;
        let mut received = Received::default();
        for piece in text.split_inclusive(' ') {
            received.push(piece);
        }
        assert!(received.sample.len() <= SAMPLE);
        assert_eq!(received.sample.len() + received.more, text.len());
        let streamed = received.tokens() as f64;
        assert!(
            (streamed / exact - 1.0).abs() < 0.01,
            "{streamed} vs {exact}"
        );
        let sampled = count(&text) as f64;
        assert!((sampled / exact - 1.0).abs() < 0.02, "{sampled} vs {exact}");
    }

    #[test]
    fn prompts_of_every_operation_are_read() {
        let chat = br#"{"messages":[{"role":"user","content":"Hello there"},{"role":"user","content":[{"type":"text","text":"Hello there"},{"type":"image_url","image_url":{"url":"data:x"}}]}]}"#;
        // 2 × (3 + role 1 + 2) + 3.
        assert_eq!(prompt_tokens(Operation::ChatCompletions, chat), 15);
        let completion = br#"{"prompt":["Hello there",[1,2,3]]}"#;
        assert_eq!(prompt_tokens(Operation::Completions, completion), 5);
        assert_eq!(
            prompt_tokens(Operation::Embeddings, br#"{"input":"Hello there"}"#),
            2
        );
        let rerank = br#"{"query":"Hello there","documents":["Hello there",{"text":"Hello"}]}"#;
        assert_eq!(prompt_tokens(Operation::Rerank, rerank), 2 + 2 + 2 + 1);
    }
}
