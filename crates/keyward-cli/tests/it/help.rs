//! The help is the manual: complete for every command, with the exit codes, and with
//! no way to pass a secret on the command line.

use crate::harness::Kw;

#[tokio::test]
async fn every_command_has_help_and_no_flag_takes_a_secret() {
    let kw = Kw::new();
    let top = kw.run(&["--help"], None, None).await;
    for needle in [
        "Exit codes:",
        "3  not found",
        "4  denied",
        "5  platform unreachable",
        "KEYWARD_TOKEN",
    ] {
        assert!(
            top.ok().contains(needle),
            "kw --help lacks {needle:?}:\n{}",
            top.stdout
        );
    }
    for command in [
        &["profiles", "list"][..],
        &["profiles", "add"],
        &["profiles", "test"],
        &["profiles", "remove"],
        &["keys", "list"],
        &["keys", "get"],
        &["keys", "create"],
        &["keys", "update"],
        &["keys", "revoke"],
        &["keys", "disable"],
        &["keys", "enable"],
        &["keys", "rotate"],
        &["usage"],
        &["leak"],
        &["workloads", "list"],
        &["workloads", "get"],
        &["workloads", "show"],
        &["workloads", "create"],
        &["workloads", "delete"],
        &["workloads", "start"],
        &["workloads", "stop"],
        &["workloads", "logs"],
        &["workloads", "ensure"],
        &["workloads", "update"],
        &["workloads", "wait"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = kw.run(&args, None, None).await;
        let text = help.ok();
        assert!(text.contains("Usage: kw"), "{command:?}: {text}");
        for flag in ["--token", "--secret", "--key"] {
            assert!(!offers(text, flag), "{command:?} offers {flag}:\n{text}");
        }
    }
    let add = kw.run(&["profiles", "add", "--help"], None, None).await;
    assert!(add.ok().contains("KEYWARD_TOKEN"), "{}", add.stdout);
    assert!(add.stdout.contains("openrouter") && add.stdout.contains("litellm"));
    // Issue #19: Gcore profiles, and a deployment's form in flags.
    assert!(add.stdout.contains("gcore"), "{}", add.stdout);
    let create = kw.run(&["workloads", "create", "--help"], None, None).await;
    for flag in [
        "--image",
        "--flavor",
        "--region <ID:MIN:MAX>",
        "--env <NAME=VALUE>",
        "--no-wait",
    ] {
        assert!(
            create.ok().contains(flag),
            "workloads create lacks {flag}:\n{}",
            create.stdout
        );
    }
    // Issue #18: money budgets are set where keys are made and edited.
    for verb in ["create", "update"] {
        let help = kw.run(&["keys", verb, "--help"], None, None).await;
        for flag in ["--money-limit <USD>", "--money-reset <WHEN>"] {
            assert!(
                help.ok().contains(flag),
                "keys {verb} lacks {flag}:\n{}",
                help.stdout
            );
        }
    }

    // A token on argv is refused as a usage error, before anything is read or saved.
    let refused = kw
        .run(
            &[
                "profiles",
                "add",
                "--name",
                "x",
                "--platform",
                "keyward",
                "--token",
                "kw_ctl_x",
            ],
            None,
            None,
        )
        .await;
    assert_eq!(refused.code, 2, "{refused:#?}");
    assert!(refused.stderr.contains("--token"), "{refused:#?}");
    let bad_flag = kw.run(&["keys", "list", "--frobnicate"], None, None).await;
    assert_eq!(bad_flag.code, 2, "{bad_flag:#?}");
    let bad_value = kw
        .run(&["usage", "--period", "fortnight"], None, None)
        .await;
    assert_eq!(bad_value.code, 2, "{bad_value:#?}");
}

/// `help` lists the flag `flag` itself (not merely one that starts with it, such as
/// `--token-limit`).
fn offers(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(at, _)| {
        !help[at + flag.len()..]
            .chars()
            .next()
            .is_some_and(|c| c == '-' || c.is_ascii_alphanumeric())
    })
}
