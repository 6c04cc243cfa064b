//! The gateway's HTTP surface: control plane (key management) and data plane
//! (OpenAI-compatible inference), each in its own module, plus JSON fallbacks so
//! even an unknown route answers in the gateway's error shape.

mod control;
mod data;
pub mod openapi;
mod projects;
mod usage;
mod workloads;

use crate::error::ApiError;
use crate::Gateway;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::Router;
use keyward_api::ErrorCode;
use tower_http::trace::TraceLayer;
use tower_service::Service;

pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .merge(control::routes())
        .merge(data::routes())
        .merge(projects::routes())
        .merge(usage::routes())
        .merge(workloads::routes())
        .route("/openapi.json", axum::routing::get(openapi::serve_document))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT_BYTES))
        // Logs method, path, status and latency; never headers or bodies, which can hold secrets.
        .layer(TraceLayer::new_for_http())
        .with_state(gateway)
}

/// What answers each request on a connection: the data plane's hot routes directly
/// ([`data::hot_operation`]), everything else through the router.
#[derive(Clone)]
pub(crate) struct Dispatch {
    router: Router,
    gateway: Gateway,
}

impl Dispatch {
    pub(crate) fn new(gateway: Gateway) -> Self {
        Self {
            router: router(gateway.clone()),
            gateway,
        }
    }

    pub(crate) fn call(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> impl std::future::Future<Output = axum::response::Response> + Send + 'static {
        use futures_util::future::Either;
        let Some(operation) = data::hot_operation(request.method(), request.uri().path()) else {
            let mut router = self.router.clone();
            return Either::Right(async move {
                router
                    .call(request)
                    .await
                    .unwrap_or_else(|never| match never {})
            });
        };
        let gateway = self.gateway.clone();
        Either::Left(async move {
            // What the router's trace layer logs for its routes.
            let method = request.method().clone();
            let started = tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now);
            // Boxed: forwarding's future is kilobytes; a box moves as a pointer.
            let response = Box::pin(data::answer_hot(gateway, operation, request)).await;
            let status = response.status();
            let path = operation.path();
            if status.is_server_error() {
                tracing::error!(%method, path, %status, "response failed");
            } else if let Some(started) = started {
                let latency = started.elapsed();
                tracing::debug!(%method, path, %status, ?latency, "finished processing request");
            }
            response
        })
    }
}

/// Whether the caller asked for CSV (`Accept: text/csv`, alone or among other types,
/// not refused with `q=0`): the usage routes then answer with the same rows as CSV.
pub(crate) fn wants_csv(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            media.eq_ignore_ascii_case("text/csv") && !refused
        })
}

/// A CSV answer, named for a browser or `curl -OJ` to save under `filename`.
pub(crate) fn csv_response(body: String, filename: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("There is no route {method} {}.", uri.path()))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidInput,
        format!("{} does not accept {method}.", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use super::wants_csv;
    use axum::http::{header::ACCEPT, HeaderMap, HeaderValue};

    #[test]
    fn csv_is_chosen_only_when_asked_for() {
        for (accept, csv) in [
            (None, false),
            (Some("application/json"), false),
            (Some("*/*"), false),
            (Some("text/csv"), true),
            (Some("TEXT/CSV; charset=utf-8"), true),
            (Some("application/json;q=0.5, text/csv"), true),
            (Some("text/csv;q=0, application/json"), false),
            (Some("text/csvx"), false),
        ] {
            let mut headers = HeaderMap::new();
            if let Some(accept) = accept {
                headers.insert(ACCEPT, HeaderValue::from_static(accept));
            }
            assert_eq!(wants_csv(&headers), csv, "{accept:?}");
        }
    }
}
