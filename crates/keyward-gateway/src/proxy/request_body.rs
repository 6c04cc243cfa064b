//! An inference request's body, read and rewritten without decoding it.
//!
//! The gateway reads a few top-level fields (`model`, `stream`, `stream_options`, and
//! the members that bound the answer: `max_tokens`, `max_completion_tokens`, `n`,
//! `best_of`) and changes at most those: `model`, to the name the upstream serves;
//! `stream_options.include_usage`, to meter streams; a bound written in another form
//! than a plain integer, to that integer. Everything else — messages, images, tools —
//! is passed on byte for byte: the fields are borrowed
//! from the body as raw JSON, their byte ranges found from where they sit in the body,
//! and a rewrite splices new text into those ranges. A body that needs no change is
//! forwarded as the very buffer that came in. Decoding every member into a map and
//! serialising it again was a visible share of a forwarded request's CPU.
//!
//! A member named twice (`"model"` twice, even spelt with escapes) is refused: the
//! gateway checks one value against the key's scopes and must never forward a body in
//! which the upstream might read the other.
//!
//! **Bounds in every form the upstream reads.** vLLM and SGLang validate requests with
//! pydantic in lax mode, which reads an integer field from a JSON integer, a float with
//! no fraction (`5000.0`, `5e3`), a string of digits (`"5000"`, `" 5000 "`, `"5_000"`,
//! `"5000.00"`) and a boolean (`true` is 1). The gateway reads the same forms (see
//! [`whole_number`]), so the budget reserves what the upstream will generate, and it
//! forwards the bound rewritten as a plain integer, so an upstream with a stricter or
//! different reader (llama.cpp ignores a bound it cannot read, and generates until its
//! context is full) sees exactly the number that was reserved for. Anything else — a
//! fraction, a negative number, more than 4,294,967,295, other strings, arrays,
//! objects — is refused with a 400 naming the member: the gateway never forwards a
//! bound it could not read.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// Why a body cannot be forwarded, as a sentence for a 400, and the member at fault
/// when it is one.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub field: Option<&'static str>,
}

impl Malformed {
    fn body(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
        }
    }

    fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: Some(field),
        }
    }
}

/// The members that bound how many tokens an answer may have: each caps one
/// completion's output, and `n` (completions returned) and `best_of` (completions
/// generated, the best `n` returned) multiply it.
const BOUNDS: [&str; 4] = ["max_tokens", "max_completion_tokens", "n", "best_of"];

/// The largest bound accepted: no model has a context or a fan-out near it, and the
/// worst case (bound × copies) then always fits in a `u64`.
const MAX_BOUND: u64 = u32::MAX as u64;

/// What a request allows the upstream to generate, as read from its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputBound {
    /// The most tokens one completion may have: the larger of `max_tokens` and
    /// `max_completion_tokens` (the upstream reads one of them, and which one differs
    /// between servers). `None` when neither is set, or when the set one is 0: vLLM
    /// reads `max_completion_tokens or max_tokens`, so a 0 there means no bound.
    pub per_completion: Option<u64>,
    /// Completions generated: the larger of `n` and `best_of`, at least 1.
    pub completions: u64,
}

impl OutputBound {
    /// The most output tokens the upstream may generate, with `default` standing for
    /// a missing per-completion bound.
    pub fn worst_case(&self, default: u64) -> u64 {
        self.per_completion.unwrap_or(default) * self.completions
    }
}

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
    #[serde(borrow, default, deserialize_with = "present")]
    n: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    best_of: Option<&'a RawValue>,
}

impl<'a> Members<'a> {
    fn bound(&self, name: &str) -> Option<&'a RawValue> {
        match name {
            "max_tokens" => self.max_tokens,
            "max_completion_tokens" => self.max_completion_tokens,
            "n" => self.n,
            "best_of" => self.best_of,
            _ => None,
        }
    }
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
            .map_err(|_| Malformed::body("The request body must be UTF-8 encoded JSON."))?;
        if !text.trim_start().starts_with('{') {
            return Err(Malformed::body("The request body must be a JSON object."));
        }
        let members = serde_json::from_str(text).map_err(|e| {
            Malformed::body(format!("The request body must be a JSON object ({e})."))
        })?;
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
            Some(_) => Err(Malformed::field(
                "model",
                "`model` must be a non-empty string: the model or workload to call.",
            )),
        }
    }

    pub fn streaming(&self) -> bool {
        self.members
            .stream
            .is_some_and(|raw| serde_json::from_str::<bool>(raw.get()).ok() == Some(true))
    }

    /// How much output the request allows, read from its bounds in every form the
    /// upstream reads; a bound that cannot be read is refused, naming it.
    pub fn output_bound(&self) -> Result<OutputBound, Malformed> {
        let [max_tokens, max_completion_tokens, n, best_of] =
            BOUNDS.map(|name| self.bound_value(name));
        let per_completion = match (max_tokens?, max_completion_tokens?) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let completions = n?.unwrap_or(1).max(best_of?.unwrap_or(1)).max(1);
        Ok(OutputBound {
            per_completion: per_completion.filter(|&tokens| tokens > 0),
            completions,
        })
    }

    /// A bound's value: `None` when absent or `null`.
    fn bound_value(&self, name: &'static str) -> Result<Option<u64>, Malformed> {
        let Some(raw) = self.members.bound(name) else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(raw.get())
            .map_err(|e| Malformed::field(name, format!("`{name}` cannot be read ({e}).")))?;
        whole_number(&value).map_err(|why| {
            let got: String = raw.get().chars().take(40).collect();
            Malformed::field(
                name,
                format!(
                    "`{name}` must be a whole number from 0 to {MAX_BOUND} ({why}); got {got}."
                ),
            )
        })
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
    /// kept). With `cap_output`, a request that sets no output bound (absent, `null` or
    /// 0, which vLLM reads as none) gets `max_tokens: cap_output`, so the upstream cannot
    /// generate more than was reserved for. `None` when the body already says exactly
    /// that, so the caller can send the buffer it received.
    pub fn rewritten(
        &self,
        upstream_model: &str,
        include_usage: bool,
        cap_output: Option<u64>,
    ) -> Option<Vec<u8>> {
        let mut edits: Vec<Edit> = Vec::with_capacity(2);
        let model = serde_json::to_string(upstream_model).expect("a string serialises");
        self.set(&mut edits, "model", self.members.model, model);
        let unbounded = cap_output.is_some()
            && self
                .output_bound()
                .is_ok_and(|bound| bound.per_completion.is_none());
        for name in BOUNDS {
            if unbounded && name == "max_tokens" {
                continue;
            }
            // Read by `output_bound` before; one that cannot be read stays as it is.
            if let (Some(raw), Ok(Some(value))) = (self.members.bound(name), self.bound_value(name))
            {
                self.set(&mut edits, name, Some(raw), value.to_string());
            }
        }
        if let (true, Some(cap)) = (unbounded, cap_output) {
            self.set(
                &mut edits,
                "max_tokens",
                self.members.max_tokens,
                cap.to_string(),
            );
        }
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

/// An integer as pydantic reads one in lax mode (what vLLM and SGLang accept), limited
/// to `0..=MAX_BOUND`: a JSON integer; a float without fraction; a boolean; a string
/// of decimal digits, with surrounding whitespace, a sign, single underscores between
/// digits and a fraction of zeros (`" +5_000.00 "`). `null` is `None`. The error says
/// why, for the 400's message.
pub fn whole_number(value: &Value) -> Result<Option<u64>, &'static str> {
    let number = match value {
        Value::Null => return Ok(None),
        Value::Bool(flag) => u64::from(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_f64()) {
            (Some(n), _) => n,
            (None, Some(f)) if !f.is_finite() => return Err("not a finite number"),
            (None, Some(f)) if f.fract() != 0.0 => return Err("it has a fraction"),
            (None, Some(f)) if f < 0.0 => return Err("it is negative"),
            (None, Some(f)) if f > MAX_BOUND as f64 => return Err("it is too large"),
            (None, Some(f)) => f as u64,
            (None, None) => return Err("not a number"),
        },
        Value::String(text) => digits_of(text)?,
        Value::Array(_) | Value::Object(_) => return Err("not a number"),
    };
    if number > MAX_BOUND {
        return Err("it is too large");
    }
    Ok(Some(number))
}

/// A string read as pydantic's `str_as_int` (and Python's `int()`) reads it.
fn digits_of(text: &str) -> Result<u64, &'static str> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // A fraction of zeros only ("5000.0", "5000.").
    let whole = match unsigned.split_once('.') {
        Some((whole, zeros)) if zeros.bytes().all(|b| b == b'0') => whole,
        Some(_) => return Err("not a whole number"),
        None => unsigned,
    };
    // Underscores between digits only, one at a time, as in Python literals.
    if whole.starts_with('_') || whole.ends_with('_') || whole.contains("__") {
        return Err("not a number");
    }
    let digits: String = whole.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a number");
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 19 {
        return Err("it is too large");
    }
    let number: u64 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| "it is too large")?
    };
    if negative && number > 0 {
        return Err("it is negative");
    }
    Ok(number)
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
            .rewritten(model, include_usage, None)
            .unwrap_or_else(|| body.as_bytes().to_vec());
        serde_json::from_slice(&out).expect("the rewrite is JSON")
    }

    #[test]
    fn the_model_is_replaced_in_place_and_everything_else_kept_byte_for_byte() {
        let body = r#"{ "messages" : [{"role":"user","content":"caf\u00e9 \"model\": x"}], "model" : "chat",  "n":1.50 }"#;
        let parsed = RequestBody::parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.model().unwrap().as_deref(), Some("chat"));
        let out = String::from_utf8(parsed.rewritten("llama-3", false, None).unwrap()).unwrap();
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
        assert!(parsed.rewritten("llama", true, None).is_none());
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
            .rewritten("m", true, None)
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
                err.message.contains(&format!("duplicate field `{field}`")),
                "{}",
                err.message
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
                err.message
                    .starts_with("`model` must be a non-empty string"),
                "{}",
                err.message
            );
        }
    }

    fn bound(body: &str) -> Result<OutputBound, Malformed> {
        RequestBody::parse(body.as_bytes()).unwrap().output_bound()
    }

    /// Issue #15: `5000.0` and `"5000"` were not read, the default was reserved and the
    /// upstream (which reads both) generated 5000 tokens.
    #[test]
    fn bounds_are_read_in_every_form_pydantic_reads() {
        for name in ["max_tokens", "max_completion_tokens"] {
            for (value, expected) in [
                ("5000", 5000),
                ("5000.0", 5000),
                ("5e3", 5000),
                ("5.0E3", 5000),
                (r#""5000""#, 5000),
                (r#"" 5000\n""#, 5000),
                (r#""+5000""#, 5000),
                (r#""5_000""#, 5000),
                (r#""5000.00""#, 5000),
                (r#""5000.""#, 5000),
                (r#""005000""#, 5000),
                ("true", 1),
                ("4294967295", 4_294_967_295),
            ] {
                let got = bound(&format!(r#"{{"{name}":{value}}}"#)).unwrap();
                assert_eq!(got.per_completion, Some(expected), "{name}: {value}");
                assert_eq!(got.completions, 1);
            }
        }
        for name in ["n", "best_of"] {
            for (value, expected) in [("3", 3), ("3.0", 3), (r#""3""#, 3), (r#"" 3 ""#, 3)] {
                let got = bound(&format!(r#"{{"max_tokens":10,"{name}":{value}}}"#)).unwrap();
                assert_eq!(got.completions, expected, "{name}: {value}");
                assert_eq!(got.worst_case(1024), 10 * expected, "{name}: {value}");
            }
        }
    }

    #[test]
    fn the_worst_case_takes_the_larger_bound_and_the_larger_multiplier() {
        let got =
            bound(r#"{"max_tokens":16,"max_completion_tokens":32,"n":2,"best_of":5}"#).unwrap();
        assert_eq!(
            got,
            OutputBound {
                per_completion: Some(32),
                completions: 5
            }
        );
        assert_eq!(got.worst_case(1024), 160);
        let got = bound(r#"{"max_tokens":64,"max_completion_tokens":"8"}"#).unwrap();
        assert_eq!(got.per_completion, Some(64));
        // Absent, null, or 0 (read by vLLM as "no bound"): the default is reserved.
        for body in [
            "{}",
            r#"{"max_tokens":null,"n":null,"best_of":null}"#,
            r#"{"max_completion_tokens":0}"#,
            r#"{"max_tokens":false}"#,
        ] {
            let got = bound(body).unwrap();
            assert_eq!(got.worst_case(1024), 1024, "{body}");
        }
        assert_eq!(bound(r#"{"n":0}"#).unwrap().completions, 1);
    }

    #[test]
    fn a_bound_that_cannot_be_read_is_refused_naming_it() {
        for name in BOUNDS {
            for value in [
                "5000.5",
                "-1",
                "-0.5",
                "4294967296",
                "1e30",
                "123456789012345678901234567890",
                r#""5000.5""#,
                r#""-3""#,
                r#""5e3""#,
                r#""_5""#,
                r#""5__0""#,
                r#""five""#,
                r#""""#,
                r#""0x10""#,
                r#""99999999999999999999999""#,
                "[5000]",
                r#"{"value":5}"#,
            ] {
                let error = bound(&format!(r#"{{"{name}":{value}}}"#)).unwrap_err();
                assert_eq!(error.field, Some(name), "{name}: {value}");
                assert!(
                    error
                        .message
                        .starts_with(&format!("`{name}` must be a whole number")),
                    "{name}: {value}: {}",
                    error.message
                );
            }
        }
    }

    #[test]
    fn bounds_are_forwarded_as_plain_integers_and_left_alone_when_they_are() {
        let body =
            r#"{"model":"m","max_tokens":"5000","n":2.0,"best_of":" 3","max_completion_tokens":7}"#;
        let parsed = RequestBody::parse(body.as_bytes()).unwrap();
        let out = String::from_utf8(parsed.rewritten("m", false, None).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"model":"m","max_tokens":5000,"n":2,"best_of":3,"max_completion_tokens":7}"#
        );
        let plain = br#"{"model":"m","max_tokens":5000,"n":2}"#;
        assert!(RequestBody::parse(plain)
            .unwrap()
            .rewritten("m", false, None)
            .is_none());
        let duplicate = RequestBody::parse(br#"{"n":1,"n":9}"#).err().unwrap();
        assert!(
            duplicate.message.contains("duplicate field `n`"),
            "{duplicate:?}"
        );
    }

    #[test]
    fn stream_must_be_true_to_stream() {
        assert!(!RequestBody::parse(br#"{"stream":"yes"}"#)
            .unwrap()
            .streaming());
    }

    /// A budgeted key's request without an output bound gets the reserved one (issue
    /// 15): absent, `null` and 0 (vLLM reads 0 as no bound) all become `max_tokens`;
    /// a request that bounds its output keeps its own bound.
    #[test]
    fn an_unbounded_request_is_given_the_reserved_bound() {
        for body in [
            r#"{"model":"m","messages":[]}"#,
            r#"{"model":"m","max_tokens":null,"messages":[]}"#,
            r#"{"model":"m","max_tokens":0,"messages":[]}"#,
            r#"{"model":"m","max_completion_tokens":0,"n":2,"messages":[]}"#,
        ] {
            let parsed = RequestBody::parse(body.as_bytes()).unwrap();
            let out = parsed.rewritten("m", false, Some(1024)).expect("rewritten");
            let out: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(out["max_tokens"], 1024, "{body}");
            let bound = RequestBody::parse(&serde_json::to_vec(&out).unwrap())
                .unwrap()
                .output_bound()
                .unwrap();
            assert_eq!(bound.per_completion, Some(1024), "{body}");
        }
        let bounded = r#"{"model":"m","max_completion_tokens":50,"messages":[]}"#;
        let parsed = RequestBody::parse(bounded.as_bytes()).unwrap();
        assert!(parsed.rewritten("m", false, Some(1024)).is_none());
        let unbudgeted = r#"{"model":"m","messages":[]}"#;
        let parsed = RequestBody::parse(unbudgeted.as_bytes()).unwrap();
        assert!(parsed.rewritten("m", false, None).is_none());
    }
}
