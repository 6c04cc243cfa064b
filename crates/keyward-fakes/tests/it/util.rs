//! A small harness: authenticated GETs against a fake, answering status and JSON.

use keyward_fakes::Fake;
use serde_json::Value;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// GET `path` (relative to the API root, with its query) as the platform's SDK would
/// authenticate it.
pub async fn get(fake: &Fake, path: &str) -> (u16, Value) {
    let request = client().get(format!("{}{path}", fake.base_url));
    send(with_auth(fake, request)).await
}

pub fn with_auth(fake: &Fake, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    if fake.admin_key.starts_with("sk-ant-") {
        request
            .header("x-api-key", &fake.admin_key)
            .header("anthropic-version", "2023-06-01")
    } else {
        request.bearer_auth(&fake.admin_key)
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Follows a cursor-paged list to its end: `next(last_page)` gives the next query string
/// or `None`. Returns every page.
pub async fn all_pages(
    fake: &Fake,
    first: String,
    next: impl Fn(&Value) -> Option<String>,
) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = Some(first);
    while let Some(p) = path {
        let (status, body) = get(fake, &p).await;
        assert_eq!(status, 200, "{p}: {body}");
        path = next(&body);
        pages.push(body);
        assert!(pages.len() < 1_000, "paging does not end");
    }
    pages
}
