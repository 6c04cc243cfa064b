//! An inference request's body, read and rewritten without decoding it.
//!
//! The gateway needs five top-level fields (`model`, `stream`, `stream_options`,
//! `max_tokens`, `max_completion_tokens`) and changes at most two (`model`, to the name
//! the upstream serves; `stream_options.include_usage`, to meter streams). Everything
//! else — messages, images, tools — is passed on byte for byte: the fields are borrowed
//! from the body as raw JSON, their byte ranges found from where they sit in the body,
//! and a rewrite splices new text into those ranges. A body that needs no change is
//! forwarded as the very buffer that came in. Decoding every member into a map and
//! serialising it again was a visible share of a forwarded request's CPU.
//!
//! A member named twice (`"model"` twice, even spelt with escapes) is refused: the
//! gateway checks one value against the key's scopes and must never forward a body in
//! which the upstream might read the other.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// Why a body cannot be forwarded, as a sentence for a 400.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub String);

/// The top-level fields the gateway reads, borrowed from the body.
#[derive(Deserialize)]
struct Members<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    model: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    stream: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    stream_options: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    max_tokens: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    max_completion_tokens: Option<&'a RawValue>,
}

/// A member that is present, `null` included (`Option<&RawValue>` alone would read
/// `null` as absent, and a rewrite would then add a second member of that name).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// A request body, checked to be one UTF-8 JSON object, with the members the gateway
/// reads located in it.
pub struct RequestBody<'a> {
    text: &'a str,
    members: Members<'a>,
}

impl<'a> RequestBody<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Malformed> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Malformed("The request body must be UTF-8 encoded JSON.".into()))?;
        if !text.trim_start().starts_with('{') {
            return Err(Malformed("The request body must be a JSON object.".into()));
        }
        let members = serde_json::from_str(text)
            .map_err(|e| Malformed(format!("The request body must be a JSON object ({e}).")))?;
        Ok(Self { text, members })
    }

    /// `model` as sent: `Ok(None)` when absent or `null`, its trimmed text when a
    /// non-empty string.
    pub fn model(&self) -> Result<Option<String>, Malformed> {
        match self
            .members
            .model
            .map(|raw| serde_json::from_str(raw.get()))
        {
            None | Some(Ok(Value::Null)) => Ok(None),
            Some(Ok(Value::String(model))) if !model.trim().is_empty() => {
                Ok(Some(model.trim().to_owned()))
            }
            Some(_) => Err(Malformed(
                "`model` must be a non-empty string: the model or workload to call.".into(),
            )),
        }
    }

    pub fn streaming(&self) -> bool {
        self.members
            .stream
            .is_some_and(|raw| serde_json::from_str::<bool>(raw.get()).ok() == Some(true))
    }

    /// The most output tokens the client allows: `max_completion_tokens`, else
    /// `max_tokens`, when either is a non-negative integer.
    pub fn max_tokens(&self) -> Option<u64> {
        let read = |raw: Option<&RawValue>| raw.and_then(|r| serde_json::from_str(r.get()).ok());
        read(self.members.max_completion_tokens).or_else(|| read(self.members.max_tokens))
    }

    /// Whether the client asked for a final usage chunk itself.
    pub fn asks_for_usage(&self) -> bool {
        self.stream_options()
            .is_some_and(|o| o.get("include_usage") == Some(&Value::Bool(true)))
    }

    fn stream_options(&self) -> Option<serde_json::Map<String, Value>> {
        match self
            .members
            .stream_options
            .map(|raw| serde_json::from_str(raw.get()))
        {
            Some(Ok(Value::Object(options))) => Some(options),
            _ => None,
        }
    }

    /// The body to forward: `model` set to `upstream_model`, and — when
    /// `include_usage` — `stream_options.include_usage` set to true (other options
    /// kept). `None` when the body already says exactly that, so the caller can send the
    /// buffer it received.
    pub fn rewritten(&self, upstream_model: &str, include_usage: bool) -> Option<Vec<u8>> {
        let mut edits: Vec<Edit> = Vec::with_capacity(2);
        let model = serde_json::to_string(upstream_model).expect("a string serialises");
        self.set(&mut edits, "model", self.members.model, model);
        if include_usage && !self.asks_for_usage() {
            let mut options = self.stream_options().unwrap_or_default();
            options.insert("include_usage".into(), Value::Bool(true));
            let options = Value::Object(options).to_string();
            self.set(
                &mut edits,
                "stream_options",
                self.members.stream_options,
                options,
            );
        }
        if edits.is_empty() {
            return None;
        }
        Some(self.apply(edits))
    }

    /// Queues `name: value`, replacing the member's value where it is, or adding it.
    fn set(&self, edits: &mut Vec<Edit>, name: &str, current: Option<&RawValue>, value: String) {
        match current {
            Some(raw) if raw.get() == value => {}
            Some(raw) => edits.push(Edit::Replace(self.span(raw), value)),
            None => edits.push(Edit::Add(format!("\"{name}\":{value}"))),
        }
    }

    /// Where a borrowed member value sits in the body.
    fn span(&self, raw: &RawValue) -> std::ops::Range<usize> {
        let start = raw.get().as_ptr() as usize - self.text.as_ptr() as usize;
        let span = start..start + raw.get().len();
        debug_assert_eq!(&self.text[span.clone()], raw.get());
        span
    }

    fn apply(&self, mut edits: Vec<Edit>) -> Vec<u8> {
        let text = self.text;
        let growth: usize = edits.iter().map(|e| e.text().len() + 1).sum();
        let mut out = Vec::with_capacity(text.len() + growth);
        // Added members go first in the object, each followed by a comma unless the
        // object was empty and it is the last one.
        let open = text.find('{').expect("checked to be an object") + 1;
        let empty = text[open..].trim_start().starts_with('}');
        out.extend_from_slice(&text.as_bytes()[..open]);
        let added: Vec<&str> = edits
            .iter()
            .filter_map(|e| match e {
                Edit::Add(member) => Some(member.as_str()),
                Edit::Replace(..) => None,
            })
            .collect();
        for (i, member) in added.iter().enumerate() {
            out.extend_from_slice(member.as_bytes());
            if !(empty && i + 1 == added.len()) {
                out.push(b',');
            }
        }
        edits.retain(|e| matches!(e, Edit::Replace(..)));
        edits.sort_by_key(|e| match e {
            Edit::Replace(span, _) => span.start,
            Edit::Add(_) => 0,
        });
        let mut at = open;
        for edit in &edits {
            if let Edit::Replace(span, value) = edit {
                out.extend_from_slice(&text.as_bytes()[at..span.start]);
                out.extend_from_slice(value.as_bytes());
                at = span.end;
            }
        }
        out.extend_from_slice(&text.as_bytes()[at..]);
        out
    }
}

enum Edit {
    /// A member's value at this byte range becomes this JSON text.
    Replace(std::ops::Range<usize>, String),
    /// A `"name":value` member to add.
    Add(String),
}

impl Edit {
    fn text(&self) -> &str {
        match self {
            Self::Replace(_, text) | Self::Add(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rewrite(body: &str, model: &str, include_usage: bool) -> Value {
        let parsed = RequestBody::parse(body.as_bytes()).unwrap();
        let out = parsed
            .rewritten(model, include_usage)
            .unwrap_or_else(|| body.as_bytes().to_vec());
        serde_json::from_slice(&out).expect("the rewrite is JSON")
    }

    #[test]
    fn the_model_is_replaced_in_place_and_everything_else_kept_byte_for_byte() {
        let body = r#"{ "messages" : [{"role":"user","content":"caf\u00e9 \"model\": x"}], "model" : "chat",  "n":1.50 }"#;
        let parsed = RequestBody::parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.model().unwrap().as_deref(), Some("chat"));
        let out = String::from_utf8(parsed.rewritten("llama-3", false).unwrap()).unwrap();
        assert_eq!(
            out,
            body.replace(r#""model" : "chat""#, r#""model" : "llama-3""#)
        );
    }

    #[test]
    fn a_body_already_right_is_not_rewritten() {
        let body = br#"{"model":"llama","stream":true,"stream_options":{"include_usage":true}}"#;
        let parsed = RequestBody::parse(body).unwrap();
        assert!(parsed.streaming() && parsed.asks_for_usage());
        assert!(parsed.rewritten("llama", true).is_none());
    }

    #[test]
    fn missing_or_null_members_are_added_once() {
        assert_eq!(
            rewrite("{}", "m", true),
            json!({"model": "m", "stream_options": {"include_usage": true}})
        );
        assert_eq!(rewrite(" { } ", "m", false), json!({"model": "m"}));
        assert_eq!(
            rewrite(r#"{"model":null,"x":1}"#, "m", false),
            json!({"model": "m", "x": 1})
        );
        let out = RequestBody::parse(br#"{"model":null,"stream_options":null}"#)
            .unwrap()
            .rewritten("m", true)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\"model\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"stream_options\"").count(), 1, "{text}");
    }

    #[test]
    fn stream_options_keep_what_the_client_set() {
        assert_eq!(
            rewrite(
                r#"{"stream":true,"stream_options":{"continuous_usage_stats":true,"include_usage":false},"model":"a"}"#,
                "b",
                true
            ),
            json!({"stream": true, "model": "b",
                "stream_options": {"continuous_usage_stats": true, "include_usage": true}})
        );
        let parsed = RequestBody::parse(br#"{"stream_options":{"include_usage":false}}"#).unwrap();
        assert!(!parsed.asks_for_usage());
    }

    #[test]
    fn a_member_named_twice_is_refused_even_when_spelt_with_escapes() {
        for (body, field) in [
            (r#"{"model":"allowed","model":"secret-model"}"#, "model"),
            (
                r#"{"model":"allowed","mod\u0065l":"secret-model"}"#,
                "model",
            ),
            // The budget reserves for one `max_tokens`; the upstream must not see another.
            (r#"{"max_tokens":1,"max_tokens":100000}"#, "max_tokens"),
        ] {
            let err = RequestBody::parse(body.as_bytes()).err().unwrap();
            assert!(
                err.0.contains(&format!("duplicate field `{field}`")),
                "{}",
                err.0
            );
        }
    }

    #[test]
    fn only_utf8_json_objects_are_accepted() {
        for body in [
            &b"[\"chat\"]"[..],
            b"\"x\"",
            b"",
            b"{\"model\":",
            b"{\"a\":\"\xff\"}",
            b"{} x",
        ] {
            assert!(RequestBody::parse(body).is_err(), "{body:?}");
        }
        for body in [
            &br#"{"model": 7}"#[..],
            br#"{"model": "  "}"#,
            br#"{"model": []}"#,
        ] {
            let err = RequestBody::parse(body).unwrap().model().unwrap_err();
            assert!(
                err.0.starts_with("`model` must be a non-empty string"),
                "{}",
                err.0
            );
        }
    }

    #[test]
    fn max_tokens_prefers_max_completion_tokens_and_ignores_nonsense() {
        let read = |b: &str| RequestBody::parse(b.as_bytes()).unwrap().max_tokens();
        assert_eq!(
            read(r#"{"max_tokens":16,"max_completion_tokens":32}"#),
            Some(32)
        );
        assert_eq!(read(r#"{"max_tokens":16}"#), Some(16));
        assert_eq!(read(r#"{"max_tokens":-1}"#), None);
        assert_eq!(
            read(r#"{"max_tokens":null,"max_completion_tokens":"9"}"#),
            None
        );
        assert_eq!(read(r#"{"stream":"yes"}"#), None);
        assert!(!RequestBody::parse(br#"{"stream":"yes"}"#)
            .unwrap()
            .streaming());
    }
}
