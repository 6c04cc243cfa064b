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

#[tokio::test]
async fn light_and_dark_themes_both_have_readable_contrast() {
    let light = App::launch_with("themes", &[("GTK_THEME", "Adwaita")]).await;
    let (background, text) = body_colours(&light).await;
    assert!(
        background > 0.8 && text < 0.3,
        "light theme: background {background}, text {text}"
    );
    light.screenshot("light").await;
    light.close().await;

    let dark = App::launch_with("themes", &[("GTK_THEME", "Adwaita:dark")]).await;
    let (background, text) = body_colours(&dark).await;
    assert!(
        background < 0.2 && text > 0.7,
        "dark theme: background {background}, text {text}"
    );
    dark.screenshot("dark").await;
    dark.close().await;
}
