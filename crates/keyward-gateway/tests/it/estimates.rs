//! Token estimates when the upstream reports no usage (issue #15): two answers of 4
//! tokens each were metered as 375, from their bytes with the JSON and SSE framing.
//!
//! Over a few dozen prompts and answers (eight languages, code, numbers, emoji, one
//! word to a few pages), every estimate must be within ±25 % of the true count. The
//! true count is what the fake upstream's "model" would report: its answer tokenized
//! (o200k_base, the same vocabulary the gateway approximates with) and its prompt
//! rendered through a ChatML template (`<|im_start|>user\n…<|im_end|>\n`, each marker
//! one token) — a different computation from the gateway's (text + 3 per message + 3).
//! So the test checks that the gateway reads exactly the text that was delivered (JSON
//! escapes, multi-byte characters split across pieces, many small events) and that its
//! template allowance holds; and it checks itself: the old estimate (bytes / 4) must
//! fail it for most samples. The spread against cl100k_base (another vocabulary, as an
//! upstream model's own tokenizer would be) is printed for the record.

use crate::dataplane::{key, workload};
use crate::upstream::Upstream;
use crate::util::TestGateway;
use serde_json::{json, Value};

/// Answers and prompts: short and long, prose in several languages, code, numbers,
/// emoji, markup, whitespace.
const TEXTS: &[&str] = &[
    "Hi",
    "Yes.",
    "Paris is the capital of France.",
    "The quick brown fox jumps over the lazy dog. It was not amused, and said so at length.",
    "Photosynthesis is the process by which green plants, algae and some bacteria turn light energy into chemical energy: carbon dioxide and water become glucose and oxygen, with chlorophyll capturing the light. It takes place mostly in the leaves, inside the chloroplasts, in two stages — the light-dependent reactions and the Calvin cycle.",
    "Der schnelle braune Fuchs springt über den faulen Hund. Größere Übungen wären möglich, aber nicht nötig.",
    "Le renard brun rapide saute par-dessus le chien paresseux. C'était une journée ensoleillée à Montréal, où l'on parlait français.",
    "El zorro marrón rápido salta sobre el perro perezoso. ¿Dónde está la biblioteca? Está al lado de la estación.",
    "Быстрая коричневая лиса прыгает через ленивую собаку. Москва — столица России, а Санкт-Петербург — её культурная столица.",
    "敏捷的棕色狐狸跳过了懒狗。北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "素早い茶色の狐がのろまな犬を飛び越える。東京は日本の首都であり、世界最大の都市圏の一つです。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘습니다. 서울은 대한민국의 수도입니다.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول. القاهرة هي عاصمة مصر.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। नई दिल्ली भारत की राजधानी है।",
    "fn main() {\n    let v: Vec<u32> = (1..=10).map(|x| x * x).collect();\n    println!(\"{:?}\", v.iter().sum::<u32>());\n}\n",
    "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\nprint([fib(i) for i in range(20)])\n",
    "SELECT u.id, u.email, COUNT(o.id) AS orders FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.created_at >= '2024-01-01' GROUP BY u.id, u.email HAVING COUNT(o.id) > 3 ORDER BY orders DESC LIMIT 50;",
    "{\"name\": \"Ada\", \"age\": 36, \"languages\": [\"en\", \"fr\"], \"address\": {\"city\": \"London\", \"zip\": \"NW1 6XE\"}, \"active\": true}",
    "<div class=\"card\"><h2>Title</h2><p>Some <em>emphasised</em> text &amp; a <a href=\"https://example.com/a?b=c&d=e\">link</a>.</p></div>",
    "3.14159265358979323846264338327950288419716939937510",
    "Call +1 (555) 010-9999 or +44 20 7946 0958 before 2025-03-14T15:09:26Z; invoice #INV-2024-000123 totals $12,345.67 (VAT 20%).",
    "1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181, 6765",
    "🙂👍🎉🔥🚀 Great job! 🇫🇷🇯🇵 👩‍💻🧑‍🚀 ❤️✨",
    "Emoji mid-sentence 😀 can cost 😅 more than words 🤖 — but not always 🎯.",
    "| Model | Params | Score |\n|-------|--------|-------|\n| A     | 7B     | 61.2  |\n| B     | 13B    | 67.9  |\n| C     | 70B    | 79.4  |\n",
    "- item one\n- item two\n  - nested item\n- item three\n\n> quoted text\n\n**bold** and _italic_ and `code`.",
    "    indented    with     irregular   spacing\t\ttabs\t and\n\n\n\nblank lines   ",
    "Mixed: English, Deutsch, 中文, русский, 日本語, and العربية in one line.",
    "https://docs.example.org/v2/reference/api/keys?page=3&per_page=100#section-4.2",
    "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCB0ZXh0IHdpdGggc29tZSBsZW5ndGg=",
    "0x7f3a9c2e 0xdeadbeef 0b101101 1e-9 6.022e23 -273.15 NaN Infinity",
    "Q: What is 17 × 23?\nA: 17 × 23 = 391, because 17 × 20 = 340 and 17 × 3 = 51.",
    "I'm sure you've seen it: \"don't\", \"won't\", \"it's\" — contractions and 'quotes' «guillemets» „Anführungszeichen“.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
];

/// A long answer built from `count` of the texts above.
fn long_text(count: usize) -> String {
    TEXTS
        .iter()
        .cycle()
        .take(count)
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn o200k() -> &'static tiktoken_rs::CoreBPE {
    tiktoken_rs::o200k_base_singleton()
}

/// The prompt's tokens as a ChatML model counts them.
fn chatml_prompt(messages: &[(&str, &str)]) -> u64 {
    let bpe = o200k();
    let mut tokens = 0;
    for (role, content) in messages {
        // <|im_start|> role \n content <|im_end|> \n
        tokens += 2 + bpe.count_ordinary(&format!("{role}\n{content}")) + bpe.count_ordinary("\n");
    }
    // <|im_start|>assistant\n
    (tokens + 1 + bpe.count_ordinary("assistant\n")) as u64
}

struct Sample {
    label: String,
    path: &'static str,
    body: Value,
    answer: String,
    stream: bool,
    true_input: u64,
    true_output: u64,
    /// What the old estimate (bytes / 4, with framing) made of it.
    old_input: u64,
    old_output: u64,
}

fn samples() -> Vec<Sample> {
    // A few pages, and a book chapter (beyond what the gateway keeps of an answer).
    let (long, longer) = (long_text(120), long_text(1500));
    let mut answers: Vec<&str> = TEXTS.to_vec();
    answers.push(&long);
    answers.push(&longer);
    let mut samples = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        let prompt = TEXTS[(i * 7 + 3) % TEXTS.len()];
        // Streamed in pieces of 1 to 3 characters, or whole (the chapter: 100,000 events
        // would only slow the test).
        let stream = i % 2 == 1 && answer.len() < 100_000;
        let (path, body, true_input) = match i % 6 {
            // A completion: the prompt is text, the answer `text`.
            5 => (
                "/v1/completions",
                json!({"model": "m", "prompt": prompt, "stream": stream}),
                o200k().count_ordinary(prompt) as u64,
            ),
            // A chat with a system message.
            4 => {
                let system = "You are a helpful assistant. Answer briefly.";
                (
                    "/v1/chat/completions",
                    json!({"model": "m", "stream": stream, "messages": [
                        {"role": "system", "content": system},
                        {"role": "user", "content": prompt}]}),
                    chatml_prompt(&[("system", system), ("user", prompt)]),
                )
            }
            _ => (
                "/v1/chat/completions",
                json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": prompt}]}),
                chatml_prompt(&[("user", prompt)]),
            ),
        };
        let old_input = (body.to_string().len() as u64).div_ceil(4);
        samples.push(Sample {
            label: format!(
                "#{i} {path} stream={stream}: {:?}",
                &answer.chars().take(24).collect::<String>()
            ),
            path,
            body,
            answer: answer.to_string(),
            stream,
            true_input,
            true_output: o200k().count_ordinary(answer) as u64,
            old_input,
            old_output: 0,
        });
    }
    samples
}

fn within(estimate: u64, truth: u64) -> bool {
    let (estimate, truth) = (estimate as f64, truth as f64);
    (estimate - truth).abs() <= 0.25 * truth
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_are_within_a_quarter_of_the_true_count() {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    up.script.lock().unwrap().omit_usage = true;
    workload(&gw, "m", "model", Some(&up.url)).await;
    let mut samples = samples();
    assert!(samples.len() >= 30, "a few dozen samples");
    let mut keys = Vec::new();
    for sample in &mut samples {
        let (key_id, secret) = key(&gw, json!({"name": sample.label.clone()})).await;
        up.script.lock().unwrap().answer_text = Some(sample.answer.clone());
        let response = gw
            .http
            .post(gw.url(sample.path))
            .bearer_auth(&secret)
            .json(&sample.body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", sample.label);
        let received = response.text().await.unwrap();
        // The client got the whole answer, whichever way it came.
        if sample.stream {
            let mut text = String::new();
            for line in received.lines() {
                let Some(data) = line.strip_prefix("data: ") else {
                    continue;
                };
                let Ok(event) = serde_json::from_str::<Value>(data) else {
                    continue;
                };
                let choice = &event["choices"][0];
                text += choice["delta"]["content"]
                    .as_str()
                    .or(choice["text"].as_str())
                    .unwrap_or("");
            }
            assert_eq!(text, sample.answer, "{}", sample.label);
        }
        sample.old_output = (received.len() as u64).div_ceil(4);
        keys.push(key_id);
    }

    gw.gateway.flush_usage().await.unwrap();
    let mut failures = Vec::new();
    let mut old_failures = 0;
    let (mut cl100k_truth, mut total_estimate) = (0u64, 0u64);
    let (mut worst_input, mut worst_output) = (0f64, 0f64);
    let deviation = |estimate: u64, truth: u64| (estimate as f64 / truth as f64 - 1.0).abs();
    for (sample, key_id) in samples.iter().zip(&keys) {
        let (input, output, estimated): (i64, i64, i64) = keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
            "SELECT k.input_tokens, k.output_tokens, (SELECT CAST(SUM(estimated_requests) AS BIGINT) FROM usage_minute WHERE key_id = k.id) FROM inference_keys k WHERE k.id = $1",
        )
        .bind(key_id)
        .fetch_one(e)
        .await)
        .unwrap();
        assert_eq!(estimated, 1, "marked estimated: {}", sample.label);
        let (input, output) = (input as u64, output as u64);
        worst_input = worst_input.max(deviation(input, sample.true_input));
        worst_output = worst_output.max(deviation(output, sample.true_output));
        if !within(input, sample.true_input) || !within(output, sample.true_output) {
            failures.push(format!(
                "{}: input {input} (true {}), output {output} (true {})",
                sample.label, sample.true_input, sample.true_output
            ));
        }
        if !within(sample.old_input, sample.true_input)
            || !within(sample.old_output, sample.true_output)
        {
            old_failures += 1;
        }
        cl100k_truth += tiktoken_rs::cl100k_base_singleton().count_ordinary(&sample.answer) as u64;
        total_estimate += output;
    }
    eprintln!(
        "{} samples: worst deviation input {:.1} %, output {:.1} %; the old estimate failed {old_failures}",
        samples.len(),
        worst_input * 100.0,
        worst_output * 100.0
    );
    eprintln!(
        "answers: o200k estimate {total_estimate} tokens, cl100k count {cl100k_truth} ({:+.1} %)",
        (total_estimate as f64 / cl100k_truth as f64 - 1.0) * 100.0
    );
    assert!(
        failures.is_empty(),
        "beyond ±25 %:\n{}",
        failures.join("\n")
    );
    assert!(
        old_failures * 2 > samples.len(),
        "the test must tell the old estimate apart: only {old_failures} of {} failed it",
        samples.len()
    );
}

/// Embeddings whose upstream reports no usage: the inputs' text, not the body's bytes.
#[tokio::test]
async fn embedding_inputs_are_estimated_from_their_text() {
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    up.script.lock().unwrap().omit_usage = true;
    workload(&gw, "e", "embedder", Some(&up.url)).await;
    let inputs = [TEXTS[4], TEXTS[9], TEXTS[14], TEXTS[22]];
    let truth: u64 = inputs
        .iter()
        .map(|t| o200k().count_ordinary(t) as u64)
        .sum();
    let (key_id, secret) = key(&gw, json!({"name": "embed"})).await;
    let response = gw
        .http
        .post(gw.url("/v1/embeddings"))
        .bearer_auth(&secret)
        .json(&json!({"model": "e", "input": inputs}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    gw.gateway.flush_usage().await.unwrap();
    let (input, output): (i64, i64) =
        keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
            "SELECT input_tokens, output_tokens FROM inference_keys WHERE id = $1"
        )
        .bind(&key_id)
        .fetch_one(e)
        .await)
        .unwrap();
    assert_eq!((input as u64, output), (truth, 0));
}

/// A stream the upstream breaks off (issue #15: streams cut after 2 tokens were metered
/// as 158 each): the text the client received, not the bytes of its events.
#[tokio::test]
async fn a_stream_the_upstream_breaks_off_is_estimated_from_what_was_received() {
    use futures_util::StreamExt;
    let gw = TestGateway::start().await;
    let up = Upstream::start().await;
    {
        let mut script = up.script.lock().unwrap();
        script.answer_text = Some(TEXTS[4].to_owned());
        script.break_after = Some(12);
    }
    workload(&gw, "m", "model", Some(&up.url)).await;
    let (key_id, secret) = key(&gw, json!({"name": "cut"})).await;
    let response = gw
        .http
        .post(gw.url("/v1/chat/completions"))
        .bearer_auth(&secret)
        .json(
            &json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    let broke = loop {
        match stream.next().await {
            Some(Ok(chunk)) => body.extend_from_slice(&chunk),
            Some(Err(_)) => break true,
            None => break false,
        }
    };
    assert!(broke, "the client sees the stream break, not end");
    let mut received = String::new();
    // The break may fall inside an event: one received in part is not text received.
    for line in String::from_utf8_lossy(&body).lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if let Ok(event) = serde_json::from_str::<Value>(data) {
            received += event["choices"][0]["delta"]["content"].as_str().unwrap();
        }
    }
    // What the upstream sent before it broke off; the client may miss the last of it
    // (what the gateway had handed on when the connection was aborted).
    let sent: String = crate::upstream::pieces_of(TEXTS[4])[..12].concat();
    assert!(sent.starts_with(&received), "{received:?}");
    gw.gateway.flush_usage().await.unwrap();
    let (requests, errors, estimated, input, output): (i64, i64, i64, i64, i64) = keyward_gateway::on_db!(gw.gateway.pool(), |e| sqlx::query_as(
        "SELECT requests, errors, estimated_requests, input_tokens, output_tokens FROM usage_minute WHERE key_id = $1",
    )
    .bind(&key_id)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!((requests, errors, estimated), (1, 1, 1));
    let (at_least, at_most) = (
        o200k().count_ordinary(&received) as u64,
        o200k().count_ordinary(&sent) as u64,
    );
    assert!(
        (at_least..=at_most).contains(&(output as u64)),
        "{output} tokens for {received:?} received of {sent:?}"
    );
    assert_eq!(
        input, 8,
        "\"Hi\" from the user, with the template's allowance"
    );
}
