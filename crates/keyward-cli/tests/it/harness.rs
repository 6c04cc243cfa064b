//! The harness of kw's tests: `kw` run as a process, as a person or a script runs it,
//! on a temp data directory and its own keychain service (the app's debug-build
//! identifier override), against a real gateway served in this process or a fake
//! platform. Every run is checked for leaked secrets by the test that knows them.

use keyward_api::Secret;
use keyward_gateway::Gateway;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncWriteExt;

/// A real gateway in `dir`, serving on a free loopback port: (gateway, base URL,
/// project, the owner token of its first launch). The lines of keyward-core's harness.
pub async fn start_gateway(dir: &Path) -> (Gateway, String, String, Secret) {
    let (gateway, project) = Gateway::open_embedded(dir, chrono::Utc::now())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gateway.clone().serve(listener, std::future::pending()));
    (
        gateway,
        format!("http://{addr}"),
        project.project_id,
        project.owner_token.expect("a fresh data directory"),
    )
}

/// What one run of kw did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run succeeded; its stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "kw failed: {self:#?}");
        &self.stdout
    }

    /// Stdout as JSON, after a successful run.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }

    /// Neither stream holds `secret`.
    #[track_caller]
    pub fn assert_hides(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "a secret was printed: {self:#?}"
        );
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A data directory and keychain service of kw's own, as one installed app has.
pub struct Kw {
    pub dir: tempfile::TempDir,
    pub identifier: String,
}

impl Kw {
    pub fn new() -> Self {
        keyward_core::keychain::use_platform_store().expect(
            "a Secret Service on the session bus: run inside dbus-run-session with gnome-keyring unlocked",
        );
        Kw {
            dir: tempfile::tempdir().unwrap(),
            identifier: format!(
                "dev.keyward.test.cli.{}.{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    /// kw with `args`; `token` in KEYWARD_TOKEN, `stdin` piped in (else empty).
    pub async fn run(&self, args: &[&str], token: Option<&str>, stdin: Option<&str>) -> Run {
        self.run_env(args, &[], token, stdin).await
    }

    /// [`Kw::run`] with more environment variables (`KEYWARD_PROJECT`, …).
    pub async fn run_env(
        &self,
        args: &[&str],
        vars: &[(&str, &str)],
        token: Option<&str>,
        stdin: Option<&str>,
    ) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kw"));
        command
            .args(args)
            .env("KEYWARD_DATA_DIR", self.dir.path())
            .env("KEYWARD_APP_IDENTIFIER", &self.identifier)
            .env_remove("KEYWARD_TOKEN")
            .env_remove("KEYWARD_PROJECT")
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(token) = token {
            command.env("KEYWARD_TOKEN", token);
        }
        let mut child = command.spawn().expect("kw starts");
        let mut input = child.stdin.take().unwrap();
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .await
            .unwrap();
        drop(input);
        let out = child.wait_with_output().await.unwrap();
        Run {
            code: out.status.code().expect("kw exits, not killed"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The console the desktop app would open on this data directory.
    pub async fn app_console(&self) -> keyward_core::Console {
        keyward_core::home::open_console(self.dir.path(), &self.identifier)
            .await
            .unwrap()
    }

    /// Adds a profile through kw, the token in KEYWARD_TOKEN; the saved profile's JSON.
    pub async fn add_profile(
        &self,
        name: &str,
        platform: &str,
        base_url: &str,
        token: &str,
    ) -> serde_json::Value {
        let run = self
            .run(
                &[
                    "profiles",
                    "add",
                    "--name",
                    name,
                    "--platform",
                    platform,
                    "--base-url",
                    base_url,
                    "--json",
                ],
                Some(token),
                None,
            )
            .await;
        run.assert_hides(token);
        run.json()
    }
}
