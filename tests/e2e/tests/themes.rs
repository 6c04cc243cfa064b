//! Both themes in the real app: the UI follows the desktop's light/dark preference
//! (WebKitGTK reports the GTK theme as `prefers-color-scheme`).

use keyward_e2e::App;

/// Relative luminance (0 = black, 1 = white) of a CSS `rgb(…)`/`rgba(…)` value.
fn luminance(css: &str) -> f64 {
    let channels: Vec<f64> = css
        .trim_start_matches(|c: char| c.is_alphabetic() || c == '(')
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|c| {
            c.trim()
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("not an rgb colour: {css:?}"))
                / 255.0
        })
        .collect();
    0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}

async fn body_colours(app: &App) -> (f64, f64) {
    app.wait_for("[data-testid='keys-empty']").await;
    app.wait_for("[data-testid='profile-url']").await;
    let background = app.computed_style("body", "background-color").await;
    let text = app.computed_style("body", "color").await;
    (luminance(&background), luminance(&text))
}

async fn escape(app: &App) {
    app.press_escape().await;
}

/// Walks the main screens with a key in the list, saving a screenshot of each under
/// `target/e2e/themes/<theme>-*.png`, and checks a dialog's own contrast.
async fn tour(app: &App, theme: &str, dark: bool) {
    let (base_url, project, token) = app.local_gateway().await;
    let http = reqwest::Client::new();
    for (name, body) in [
        (
            "payments-service",
            serde_json::json!({"name": "payments-service", "rpm": 60, "labels": {"team": "payments"}}),
        ),
        (
            "batch-embeddings",
            serde_json::json!({"name": "batch-embeddings", "token_limit": 1000000, "token_limit_period": "day"}),
        ),
    ] {
        let created = http
            .post(format!("{base_url}/v1/projects/{project}/inference/keys"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{name}");
    }
    app.click("[data-testid='nav-profiles']").await;
    app.wait_for("[data-testid='profile-row']").await;
    app.screenshot(&format!("{theme}-profiles")).await;
    app.click("[data-testid='nav-keys']").await;
    app.wait_key_row("payments-service").await;
    app.screenshot(&format!("{theme}-keys")).await;
    app.click("[data-testid='create-key']").await;
    app.wait_for("[data-testid='key-form']").await;
    let background = luminance(
        &app.computed_style("[data-testid='key-form']", "background-color")
            .await,
    );
    let text = luminance(
        &app.computed_style("[data-testid='key-form']", "color")
            .await,
    );
    let readable = if dark {
        background < 0.2 && text > 0.7
    } else {
        background > 0.8 && text < 0.3
    };
    assert!(
        readable,
        "{theme} dialog: background {background}, text {text}"
    );
    app.screenshot(&format!("{theme}-create-dialog")).await;
    app.press_escape().await;
    app.wait_gone("[data-testid='key-form']").await;
    app.click("[data-testid='key-open']").await;
    app.wait_for("[data-testid='key-detail']").await;
    app.wait_for("[data-testid='key-audit']").await;
    app.screenshot(&format!("{theme}-key-detail")).await;
    app.click("[data-testid='key-rotate']").await;
    app.wait_for("[data-testid='rotate-dialog']").await;
    app.screenshot(&format!("{theme}-rotate-dialog")).await;
    escape(app).await;
    app.wait_gone("[data-testid='rotate-dialog']").await;
    app.click("[data-testid='nav-settings']").await;
    app.wait_for("[data-testid='settings-clipboard-seconds']")
        .await;
    app.screenshot(&format!("{theme}-settings")).await;
    app.click("[data-testid='nav-profiles']").await;
    app.click("[data-testid='import-profiles']").await;
    app.click("[data-testid='import-source-environment']").await;
    app.wait_for("[data-testid='import-empty'], [data-testid='import-candidate']")
        .await;
    app.screenshot(&format!("{theme}-import-dialog")).await;
    escape(app).await;
    app.wait_gone("[data-testid='import-dialog']").await;
    app.click("[data-testid='nav-leak']").await;
    app.wait_for("[data-testid='leak-dialog']").await;
    app.screenshot(&format!("{theme}-leak-dialog")).await;
}

#[tokio::test]
async fn light_and_dark_themes_both_have_readable_contrast() {
    let light = App::launch_with("themes", &[("GTK_THEME", "Adwaita")]).await;
    let (background, text) = body_colours(&light).await;
    assert!(
        background > 0.8 && text < 0.3,
        "light theme: background {background}, text {text}"
    );
    light.screenshot("light").await;
    tour(&light, "light", false).await;
    light.close().await;

    let dark = App::launch_with("themes", &[("GTK_THEME", "Adwaita:dark")]).await;
    let (background, text) = body_colours(&dark).await;
    assert!(
        background < 0.2 && text > 0.7,
        "dark theme: background {background}, text {text}"
    );
    dark.screenshot("dark").await;
    tour(&dark, "dark", true).await;
    dark.close().await;
}
