//! Harness for driving the real Keyward binary end to end.
//!
//! Each test gets its own X server (Xvfb picks a free display), its own tauri-driver
//! on free ports, and its own app identifier, data directory and XDG directories, so
//! it never touches a person's session, data or keychain. Everything started here is
//! killed on drop. Screenshots go to `target/e2e/`.

pub mod procs;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How long the first WebDriver session may take: tauri-driver starts WebKitWebDriver,
/// which starts the app, whose first start builds its database and the embedded
/// gateway — on a loaded 2-core machine once more than 20 s (a themes run failed so,
/// with `IncompleteMessage` from a driver still starting).
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the waits below let pass between two looks at their condition.
const POLL: Duration = Duration::from_millis(100);

/// Runs `check` until it returns `Ok`, or until `deadline` has passed; then gives back
/// the value, or on time-out the last `Err`: what `check` saw instead.
pub async fn try_until<T, E>(
    deadline: Instant,
    mut check: impl AsyncFnMut() -> Result<T, E>,
) -> Result<T, E> {
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(seen) if Instant::now() >= deadline => return Err(seen),
            // The poll interval between two looks, not a wait for anything in itself.
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Waits until `check` returns `Ok` (its value is returned); `check` returns `Err` with
/// what it saw instead, which the panic at `deadline` reports next to `what`, the
/// condition waited for. Every wait in these tests goes through here or [`try_until`]
/// rather than sleeping for a fixed time.
pub async fn wait_until<T, E: std::fmt::Debug>(
    deadline: Instant,
    what: &str,
    check: impl AsyncFnMut() -> Result<T, E>,
) -> T {
    try_until(deadline, check)
        .await
        .unwrap_or_else(|seen| panic!("timed out waiting for {what}; last saw {seen:?}"))
}

pub struct App {
    pub client: Client,
    /// The app's data directory and XDG directories; kept across [`App::restart`].
    pub dir: tempfile::TempDir,
    screenshots: PathBuf,
    test_name: String,
    env: Vec<(String, String)>,
    /// The app identifier this run uses, which is also its keychain service: unique
    /// per launch (kept across restarts) so tests never share keychain entries.
    pub identifier: String,
    /// The app binary launched (and launched again by [`App::restart`]).
    binary: PathBuf,
    // Dropped after `client`: the driver (and the app under it) before the X server.
    _driver: ProcessGroup,
    _xvfb: ProcessGroup,
}

/// A child process leader, killed with its whole process group when dropped, so that
/// nothing outlives a test, even one that panics half-way through start-up.
struct ProcessGroup(Child);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The debug binary of the app, built by `cargo build -p keyward-app` beforehand.
pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("KEYWARD_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            target.join("debug/keyward")
        });
    assert!(
        path.exists(),
        "the app binary {} does not exist: run `cargo build -p keyward-app` first (scripts/test does)",
        path.display()
    );
    path
}

/// An app identifier (and so keychain service) of this launch alone, from the name of
/// its temporary directory.
fn unique_identifier(dir: &tempfile::TempDir) -> String {
    let unique = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    format!("dev.keyward.e2e.t{unique}")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_xvfb() -> (ProcessGroup, String) {
    let mut xvfb = ProcessGroup(
        Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("Xvfb is not installed (apt-get install xvfb)"),
    );
    let mut line = String::new();
    BufReader::new(xvfb.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let display = format!(":{}", line.trim());
    assert!(display.len() > 1, "Xvfb did not report a display");
    (xvfb, display)
}

impl App {
    /// Launches the app under a fresh X server and opens a WebDriver session on it.
    pub async fn launch(test_name: &str) -> App {
        Self::launch_with(test_name, &[]).await
    }

    /// Like [`App::launch`], with extra environment for the app (e.g. a GTK theme).
    pub async fn launch_with(test_name: &str, env: &[(&str, &str)]) -> App {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::launch_with_dir(test_name, tempfile::tempdir().unwrap(), env).await
    }

    /// Like [`App::launch_with`], on a directory the caller prepared (e.g. a gateway
    /// database seeded under `<dir>/app/gateway`).
    pub async fn launch_with_dir(
        test_name: &str,
        dir: tempfile::TempDir,
        env: Vec<(String, String)>,
    ) -> App {
        let identifier = unique_identifier(&dir);
        Self::launch_in(test_name, dir, env, identifier, app_binary()).await
    }

    /// Like [`App::launch_with_dir`], for another build of the app than the one `cargo
    /// build` made: e.g. the one a `.deb` installed as `/usr/bin/keyward`. It must be a
    /// debug build, which honours the identifier and data directory these tests give it.
    pub async fn launch_binary(test_name: &str, binary: PathBuf, dir: tempfile::TempDir) -> App {
        let identifier = unique_identifier(&dir);
        Self::launch_in(test_name, dir, Vec::new(), identifier, binary).await
    }

    /// Quits the app (ending its WebDriver session, driver and X server) and starts it
    /// again on the same data directory, as a person restarting it would.
    pub async fn restart(self) -> App {
        let App {
            client,
            dir,
            test_name,
            env,
            identifier,
            binary,
            _driver,
            _xvfb,
            ..
        } = self;
        let _ = client.close().await;
        drop(_driver);
        drop(_xvfb);
        Self::launch_in(&test_name, dir, env, identifier, binary).await
    }

    /// Like [`App::restart`], with `env` set or replaced (e.g. `GTK_THEME` to see the
    /// same data in the other theme).
    pub async fn restart_with(mut self, env: &[(&str, &str)]) -> App {
        for (key, value) in env {
            self.env.retain(|(k, _)| k != key);
            self.env.push((key.to_string(), value.to_string()));
        }
        self.restart().await
    }

    /// A screenshot of one element (scrolled into view), saved like [`App::screenshot`].
    pub async fn screenshot_of(&self, css: &str, name: &str) -> PathBuf {
        let element = self.wait_for(css).await;
        self.scroll_into_view(css).await;
        let png = self
            .while_repainting(async || element.screenshot().await.unwrap())
            .await;
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Everything the app (and its driver) wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("app.log")).unwrap_or_default()
    }

    /// Fails if `secret` is anywhere in the page, the app's log, or the files of its
    /// data directory (console database, gateway database, WAL).
    pub async fn assert_secret_nowhere(&self, secret: &str) {
        let page = self.client.source().await.unwrap();
        assert!(!page.contains(secret), "the secret is in the DOM");
        assert!(
            !self.log().contains(secret),
            "the secret is in the app's log"
        );
        let mut stack = vec![self.data_dir()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                        "the secret is in {}",
                        path.display()
                    );
                }
            }
        }
    }

    /// Fills the open profile form (add or edit).
    pub async fn fill_profile_form(&self, name: &str, base_url: &str, project: &str, token: &str) {
        self.wait_for("[data-testid='profile-form']").await;
        for (field, value) in [
            ("name", name),
            ("base_url", base_url),
            ("project_id", project),
            ("token", token),
        ] {
            self.fill(
                &format!("[data-testid='profile-form'] [name='{field}']"),
                value,
            )
            .await;
        }
    }

    /// Adds a profile of `kind` (the form's value: "openrouter", "gcore", …) through the
    /// Profiles form, tests the connection (screenshot `shot` of the success), saves it,
    /// switches to it and opens its Keys page; returns its id.
    pub async fn add_platform_profile(
        &self,
        kind: &str,
        name: &str,
        base_url: &str,
        project: &str,
        token: &str,
        shot: &str,
    ) -> String {
        self.click("[data-testid='nav-profiles']").await;
        self.wait_for("[data-testid='profiles-screen']").await;
        self.click("[data-testid='add-profile']").await;
        self.wait_for("[data-testid='profile-form']").await;
        self.wait_for("[data-testid='profile-form'] [name='kind']")
            .await
            .select_by_value(kind)
            .await
            .unwrap();
        // The test's address replaces the platform's public one.
        self.fill_profile_form(name, base_url, project, token).await;
        self.click("[data-testid='profile-form-test']").await;
        self.wait_for("[data-testid='profile-form-test-result'][data-outcome='success']")
            .await;
        self.screenshot(shot).await;
        self.click("[data-testid='profile-form-save']").await;
        self.wait_gone("[data-testid='profile-form']").await;
        let id = self.profile_id_named(name).await;
        self.switch_profile(&id).await;
        // The shell lays out again once the profile has switched: click the nav only then.
        self.wait_text("[data-testid='profile-url']", base_url)
            .await;
        self.click("[data-testid='nav-keys']").await;
        id
    }

    /// Adds a Keyward-gateway profile through the Profiles page; returns its id.
    pub async fn add_profile(
        &self,
        name: &str,
        base_url: &str,
        project: &str,
        token: &str,
    ) -> String {
        self.click("[data-testid='nav-profiles']").await;
        self.click("[data-testid='add-profile']").await;
        self.fill_profile_form(name, base_url, project, token).await;
        self.click("[data-testid='profile-form-save']").await;
        self.wait_gone("[data-testid='profile-form']").await;
        self.profile_id_named(name).await
    }

    /// The id of the profile listed under `name` on the Profiles page.
    pub async fn profile_id_named(&self, name: &str) -> String {
        self.wait_for("[data-testid='profile-row']").await;
        for row in self
            .client
            .find_all(Locator::Css("[data-testid='profile-row']"))
            .await
            .unwrap()
        {
            if row.text().await.unwrap().contains(name) {
                return row.attr("data-profile-id").await.unwrap().unwrap();
            }
        }
        panic!("no profile row named {name}");
    }

    /// Chooses a profile in the always-visible switcher.
    pub async fn switch_profile(&self, profile_id: &str) {
        self.wait_for("[data-testid='profile-switcher']")
            .await
            .select_by_value(profile_id)
            .await
            .unwrap();
    }

    /// The text of every rendered key row (`textContent`, so rows in the virtualized
    /// table's scroll container count even where WebDriver's visibility rules differ).
    pub async fn key_rows(&self) -> Vec<String> {
        let rows = self
            .client
            .execute(
                "return [...document.querySelectorAll(\"[data-testid='key-row']\")].map(r => r.textContent);",
                vec![],
            )
            .await
            .unwrap();
        rows.as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| r.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until the Keys list shows a row containing `text`.
    pub async fn wait_key_row(&self, text: &str) {
        let found = try_until(Instant::now() + TIMEOUT, async || {
            let rows = self.key_rows().await;
            match rows.iter().any(|row| row.contains(text)) {
                true => Ok(()),
                false => Err(rows),
            }
        })
        .await;
        if let Err(rows) = found {
            // What the person would have seen, for the failure's report.
            let shot = self.screenshot("wait-key-row-failed").await;
            panic!(
                "timed out waiting for a key row with {text}; last saw {rows:?} (screen: {})",
                shot.display()
            );
        }
    }

    /// Confirms the open revoke dialog; for a key used in the last 24 hours the dialog
    /// asks for its name first, which this types.
    pub async fn confirm_revoke(&self, key_name: &str) {
        self.wait_for("[data-testid='revoke-dialog']").await;
        let gate = self
            .client
            .find_all(Locator::Css("[data-testid='revoke-confirm-name']"))
            .await
            .unwrap();
        if let Some(input) = gate.first() {
            input.send_keys(key_name).await.unwrap();
        }
        self.click("[data-testid='revoke-confirm']").await;
        self.wait_gone("[data-testid='revoke-dialog']").await;
    }

    /// Local's base URL, project and owner token, read the way an admin could: the URL
    /// from the screen, the token from the Secret Service, the project from `whoami`.
    /// A release build ignores the identifier override, so its token is under the app's
    /// own identifier (benchmarks run the release build).
    pub async fn local_gateway(&self) -> (String, String, String) {
        let base_url = self
            .wait_for("[data-testid='profile-url']")
            .await
            .text()
            .await
            .unwrap();
        let token = [self.identifier.as_str(), "dev.keyward.console"]
            .iter()
            .find_map(|service| {
                let out = Command::new("secret-tool")
                    .args(["lookup", "service", service, "username", "local"])
                    .output()
                    .unwrap();
                let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
                (!token.is_empty()).then_some(token)
            })
            .expect("Local's owner token in the Secret Service");
        let who = get_json(&format!("{base_url}/v1/whoami"), &token).await;
        let project = who["project"]["id"].as_str().unwrap().to_owned();
        (base_url, project, token)
    }

    /// The app's data directory (console database, `gateway/`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("app")
    }

    async fn launch_in(
        test_name: &str,
        dir: tempfile::TempDir,
        env: Vec<(String, String)>,
        identifier: String,
        binary: PathBuf,
    ) -> App {
        let (xvfb, display) = start_xvfb();
        let port = free_port();
        let native_port = free_port();
        let mut driver = Command::new(tauri_driver());
        driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("KEYWARD_APP_IDENTIFIER", &identifier)
            .env("KEYWARD_LOG", "debug")
            .env("KEYWARD_DATA_DIR", dir.path().join("app"))
            .env("XDG_DATA_HOME", dir.path().join("xdg-data"))
            .env("XDG_CONFIG_HOME", dir.path().join("xdg-config"))
            .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            // The driver's and the app's log, appended across restarts, for leak checks.
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.path().join("app.log"))
                    .unwrap(),
            )
            .process_group(0);
        let driver = ProcessGroup(
            driver
                .spawn()
                .expect("tauri-driver is not installed (cargo install tauri-driver --locked)"),
        );

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": &binary }),
        );
        let client = wait_until(
            Instant::now() + SESSION_TIMEOUT,
            "a WebDriver session from tauri-driver",
            async || {
                // WebDriver is plain HTTP on loopback: no TLS stack needed.
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await
            },
        )
        .await;
        let screenshots = workspace_root().join("target/e2e").join(test_name);
        std::fs::create_dir_all(&screenshots).unwrap();
        App {
            client,
            dir,
            screenshots,
            test_name: test_name.to_owned(),
            env,
            identifier,
            binary,
            _driver: driver,
            _xvfb: xvfb,
        }
    }

    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        wait_until(
            Instant::now() + TIMEOUT,
            &format!("{css} to go"),
            async || match self.client.find_all(Locator::Css(css)).await.unwrap().len() {
                0 => Ok(()),
                n => Err(format!("{n} still there")),
            },
        )
        .await
    }

    /// Waits until `css` has exactly `text` as its text.
    pub async fn wait_text(&self, css: &str, text: &str) {
        wait_until(
            Instant::now() + TIMEOUT,
            &format!("{css} to say {text:?}"),
            async || {
                let current = self.wait_for(css).await.text().await.unwrap_or_default();
                match current.trim() == text {
                    true => Ok(()),
                    false => Err(current),
                }
            },
        )
        .await
    }

    /// Waits until the first element matching `css` contains `text` somewhere in its
    /// `textContent` (WebKit's WebDriver answers "" for the visible text of some live
    /// regions and of cells scrolled under a sticky column).
    pub async fn wait_text_contains(&self, css: &str, text: &str) {
        wait_until(
            Instant::now() + TIMEOUT,
            &format!("{css} to contain {text:?}"),
            async || {
                let current = self
                    .wait_for(css)
                    .await
                    .prop("textContent")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                match current.contains(text) {
                    true => Ok(()),
                    false => Err(current),
                }
            },
        )
        .await
    }

    /// A CSS property of the first element matching `css`, as computed by the webview.
    pub async fn computed_style(&self, css: &str, property: &str) -> String {
        let value = self
            .client
            .execute(
                "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1]);",
                vec![css.into(), property.into()],
            )
            .await
            .unwrap();
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Scrolls the element matching `css` (if any) to the middle of its scroll container,
    /// instantly, and lets two frames paint: what follows sees it where it is now.
    pub async fn scroll_into_view(&self, css: &str) {
        self.client
            .execute_async(
                "const [css, done] = arguments; const e = document.querySelector(css); if (e) e.scrollIntoView({block: 'center', behavior: 'instant'}); requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![css.into()],
            )
            .await
            .unwrap();
    }

    /// Presses Escape as a person does, on the keyboard rather than into an element:
    /// WebDriver refuses to type into the focused element when that is a button just
    /// disabled by the click before (a save in flight), which is when a person presses it.
    pub async fn press_escape(&self) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let escape: char = fantoccini::key::Key::Escape.into();
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: escape })
            .then(KeyAction::Up { value: escape });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// Types `text` into the input matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.unwrap();
        if text.is_empty() {
            // WebDriver refuses to send no keys; clearing was the whole change.
            return;
        }
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the element, retrying while it is covered or moving (an animation, a
    /// hint that appears and shifts the layout), as a person would click again.
    pub async fn click(&self, css: &str) {
        let clicked = try_until(Instant::now() + TIMEOUT, async || {
            let clicked = self.wait_for(css).await.click().await;
            if let Err(error) = &clicked {
                eprintln!("click {css} retried: {error}");
                // WebKitWebDriver does not always scroll an element inside a
                // scrolling dialog into view before clicking: do it, then retry.
                self.scroll_into_view(css).await;
            }
            clicked
        })
        .await;
        if let Err(error) = clicked {
            self.screenshot(&format!(
                "click-failed-{}",
                css.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            ))
            .await;
            panic!("click {css}: {error}")
        }
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .while_repainting(async || self.client.screenshot().await.unwrap())
            .await;
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Runs `capture` (a WebDriver screenshot) while the page presents a new frame on every
    /// animation frame, once the webview has painted what the DOM already holds.
    ///
    /// WebKitWebDriver's *Take Screenshot* first waits for the webview's next presentation
    /// update. With WebKit's accelerated compositing off — what the app ships, see
    /// `src-tauri/src/footprint.rs` — WebKitGTK 2.50 presents a frame only when something
    /// on the page was invalidated, so on a page at rest (no caret blinking in a focused
    /// field, no animation) that update never comes: the command never answers and the
    /// driver stops answering anything else. A transparent 1×1 px element, outside the
    /// app's own tree and gone afterwards, flips its visibility on every frame meanwhile;
    /// it paints nothing, but each flip invalidates its pixel, which is all WebKit waits for.
    async fn while_repainting<T>(&self, capture: impl AsyncFnOnce() -> T) -> T {
        self.client
            .execute_async(
                "const done = arguments[0];
                 let pulse = document.getElementById('e2e-repaint-pulse');
                 if (!pulse) {
                   pulse = document.createElement('div');
                   pulse.id = 'e2e-repaint-pulse';
                   pulse.setAttribute('aria-hidden', 'true');
                   pulse.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;';
                   document.documentElement.appendChild(pulse);
                   const flip = () => {
                     if (!pulse.isConnected) return;
                     pulse.style.visibility = pulse.style.visibility === 'hidden' ? 'visible' : 'hidden';
                     requestAnimationFrame(flip);
                   };
                   requestAnimationFrame(flip);
                 }
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await
            .unwrap();
        let captured = capture().await;
        self.client
            .execute(
                "document.getElementById('e2e-repaint-pulse')?.remove();",
                vec![],
            )
            .await
            .unwrap();
        captured
    }

    /// Ends the WebDriver session (which closes the app), then the driver and X server.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A second gateway, as on a team's GPU host, served from this test process: its own
/// database and owner token, and one key named `key_name`. Returns (base URL, project
/// id, owner token).
/// `GET url` with a bearer token, as JSON (a control-plane read from the test's side).
pub async fn get_json(url: &str, token: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An app data directory whose embedded gateway holds `keys` seeded keys
/// (`key_seed000000`…), for the benchmarks. The gateway is returned open so more can be
/// seeded; close its pool before launching the app on the directory.
pub async fn seeded_data_dir(keys: usize) -> (tempfile::TempDir, keyward_gateway::Gateway, String) {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, project) = keyward_gateway::Gateway::open_embedded(
        &dir.path().join("app/gateway"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    keyward_bench_seed::seed_keys(&gateway, &project.project_id, keys, chrono::Utc::now())
        .await
        .unwrap();
    (dir, gateway, project.project_id)
}

/// The `p` quantile (0–1) of ascending `samples`.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

pub async fn team_gateway(dir: &Path, key_name: &str) -> (String, String, String) {
    let location = keyward_gateway::DatabaseLocation::DataDir(dir.to_owned());
    let init = keyward_gateway::Gateway::init(&location, chrono::Utc::now())
        .await
        .unwrap();
    let gateway = keyward_gateway::Gateway::open(&location, false)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gateway.serve(listener, std::future::pending()));
    let created = reqwest::Client::new()
        .post(format!(
            "{base_url}/v1/projects/{}/inference/keys",
            init.project_id
        ))
        .bearer_auth(init.owner_token.expose())
        .json(&serde_json::json!({ "name": key_name }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    (
        base_url,
        init.project_id,
        init.owner_token.expose().to_owned(),
    )
}

fn tauri_driver() -> PathBuf {
    std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
            let path = home.join("bin/tauri-driver");
            path.exists().then_some(path)
        })
        .unwrap_or_else(|| PathBuf::from("tauri-driver"))
}
