//! The `keyward-gateway` binary (issue #2): `init` prints the owner token once on
//! stdout and refuses a second run; `serve` refuses an uninitialized database and
//! never prints a secret while serving.

use crate::util::wait_for;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn gateway() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward-gateway"));
    command
        .env_remove("KEYWARD_DATA_DIR")
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_LISTEN");
    command
}

#[test]
fn init_prints_the_owner_token_once_and_serve_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");

    let serve_first = gateway()
        .arg("serve")
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    assert!(!serve_first.status.success());
    assert!(String::from_utf8_lossy(&serve_first.stderr).contains("keyward-gateway init"));

    let init = gateway()
        .arg("init")
        .env("KEYWARD_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let stdout = String::from_utf8(init.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "stdout is exactly the token");
    assert_eq!(
        keyward_api::token::parse(token),
        Ok(keyward_api::TokenKind::Control)
    );
    assert!(!String::from_utf8_lossy(&init.stderr).contains(token));

    let again = gateway()
        .arg("init")
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(again.stdout.is_empty(), "a second init prints no token");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialized"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let serve = gateway()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--header-read-timeout-secs", "2"])
        .env("KEYWARD_DATA_DIR", &data_dir)
        .env("KEYWARD_IDLE_TIMEOUT_SECS", "1")
        .env("KEYWARD_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let secret = runtime.block_on(async {
        let http = reqwest::Client::new();
        // Any authenticated call tells us the token works; the project id is in the 403 message.
        let response = wait_for(Duration::from_secs(20), "the gateway to serve", || async {
            http.get(format!(
                "http://127.0.0.1:{port}/v1/projects/none/inference/keys"
            ))
            .bearer_auth(token)
            .send()
            .await
            .ok()
        })
        .await;
        let projects = response.text().await.unwrap();
        let project = projects
            .split("belongs to project ")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let created: serde_json::Value = http
            .post(format!(
                "http://127.0.0.1:{port}/v1/projects/{project}/inference/keys"
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({"name": "cli"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let secret = created["secret"].as_str().unwrap().to_owned();
        let models = http
            .get(format!("http://127.0.0.1:{port}/v1/models"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(models.status(), 200);
        // KEYWARD_IDLE_TIMEOUT_SECS=1 took effect: a silent connection is closed.
        let mut silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let opened = Instant::now();
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::io::AsyncReadExt::read(&mut silent, &mut buf),
        )
        .await
        .expect("an idle connection is closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        let took = opened.elapsed();
        assert!(took < Duration::from_secs(4), "after about 1 s: {took:?}");
        secret
    });
    // SIGTERM, as a service manager stops it: a graceful stop, exit status 0.
    let terminated = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", serve.id())])
        .status()
        .unwrap();
    assert!(terminated.success());
    let output = serve.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "SIGTERM stops gracefully: {:?}",
        output.status
    );
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    for line in BufReader::new(&output.stderr[..]).lines() {
        printed.push_str(&line.unwrap());
    }
    assert!(
        printed.contains("listening"),
        "serve logged something: {printed}"
    );
    assert!(
        printed.contains("stopped; usage written"),
        "the stop finished with the usage flush: {printed}"
    );
    assert!(
        !printed.contains(&token[7..]),
        "serve printed the owner token"
    );
    assert!(
        !printed.contains(&secret[8..]),
        "serve printed an inference key"
    );
}

#[test]
fn probe_and_upstream_settings_are_validated_and_named() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--kv-cache-degraded", "2"),
        ("--probe-interval-secs", "0"),
        ("--down-after-timeouts", "0"),
        ("--probe-timeout-ms", "soon"),
        ("--upstream-read-timeout-secs", "0"),
        ("--upstream-ca-file", "/nonexistent/keyward-ca.pem"),
        ("--workers", "0"),
        ("--workers", "many"),
        ("--shutdown-grace-secs", "soon"),
        ("--header-read-timeout-secs", "0"),
        ("--idle-timeout-secs", "0"),
        ("--queue-degraded", "nan"),
        ("--queue-degraded", "20000"),
        ("--queue-minutes", "0"),
    ] {
        let out = gateway()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args([flag, value])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag} {value} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
}
