//! The production install in `deploy/` stays true to the server: the example configuration
//! names only settings `serve` reads (a misspelt or removed one would be silently ignored on a
//! clinic's server), the systemd unit passes `systemd-analyze verify` with the built binary
//! and keeps its sandbox (exposure score), and the PostgreSQL roles script creates the two
//! roles the README and the configuration name.

use clap::CommandFactory;
use clinicdocs_server::config::Cli;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(file: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

/// Every environment variable `serve` reads: its flags' and the two read outside clap (the
/// shared signing key for local links, and the log filter).
fn serve_env_names() -> BTreeSet<String> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve subcommand");
    let mut names: BTreeSet<String> =
        serve.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()).collect();
    names.extend(["CLINICDOCS_SIGNING_KEY".to_string(), "RUST_LOG".to_string()]);
    names
}

/// `KEY=value` lines (not comments) of an environment file.
fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("not KEY=value: {l}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn the_example_configuration_names_only_settings_the_server_reads() {
    let known = serve_env_names();
    let (_, text) = deploy("server.env.example");
    let settings = env_file(&text);
    let unknown: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).filter(|k| !known.contains(*k)).collect();
    assert!(unknown.is_empty(), "server.env.example sets what `serve` never reads: {unknown:?}");
    let get = |k: &str| settings.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    // It is the PostgreSQL + R2 install the README describes, behind a proxy it trusts.
    assert!(get("DATABASE_URL").is_some_and(|u| u.starts_with("postgres://clinicdocs_server:")));
    assert!(get("DATABASE_OWNER_URL").is_some_and(|u| u.starts_with("postgres://clinicdocs_owner:")));
    assert_eq!(get("STORAGE_TYPE"), Some("s3"));
    assert!(get("S3_ENDPOINT").is_some_and(|u| u.ends_with(".r2.cloudflarestorage.com")));
    assert!(get("CLINICDOCS_PUBLIC_URL").is_some_and(|u| u.starts_with("https://")));
    assert!(get("CLINICDOCS_LISTEN").is_some_and(|l| l.starts_with("127.0.0.1:")), "only the proxy faces the network");
    assert!(get("CLINICDOCS_TRUSTED_PROXIES").is_some_and(|p| p.split(',').any(|ip| ip == "127.0.0.1")));
    // The values parse as the server would take them (placeholders aside).
    let mut args = vec!["clinicdocs-server".to_string(), "serve".to_string()];
    for (k, v) in &settings {
        if let Some(flag) = Cli::command()
            .find_subcommand("serve")
            .and_then(|s| s.get_arguments().find(|a| a.get_env().is_some_and(|e| e == k.as_str())).cloned())
        {
            args.push(format!("--{}={v}", flag.get_long().expect("long flag")));
        }
    }
    if let Err(e) = <Cli as clap::Parser>::try_parse_from(&args) {
        panic!("server.env.example does not parse: {e}");
    }
}

#[test]
fn the_postgres_roles_script_makes_the_roles_the_configuration_uses() {
    let (_, sql) = deploy("postgres-roles.sql");
    for role in ["clinicdocs_owner", "clinicdocs_server"] {
        assert!(sql.contains(&format!("CREATE ROLE {role} LOGIN")), "{role}");
    }
    assert!(sql.contains("CREATE DATABASE clinicdocs OWNER clinicdocs_owner"));
    assert!(sql.contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC"));
}

#[test]
fn the_systemd_unit_verifies_and_keeps_its_sandbox() {
    let (_, unit) = deploy("clinicdocs-server.service");
    assert!(unit.lines().any(|l| l == "EnvironmentFile=/etc/clinicdocs/server.env"));
    assert!(unit.lines().any(|l| l == "ExecStart=/usr/local/bin/clinicdocs-server serve"));
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        if std::env::var_os("CLINICDOCS_TEST_REQUIRE_ALL").is_some() {
            panic!("systemd-analyze is missing; the test command installs systemd");
        }
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    assert!(out.status.success());
    // The unit as installed, but starting the binary this build made.
    let dir = tempfile::tempdir().expect("tmp");
    let unit_path = dir.path().join("clinicdocs-server.service");
    let built = env!("CARGO_BIN_EXE_clinicdocs-server");
    std::fs::write(&unit_path, unit.replace("/usr/local/bin/clinicdocs-server", built)).expect("write unit");
    let verify =
        Command::new("systemd-analyze").arg("verify").arg(&unit_path).output().expect("systemd-analyze verify");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && !said.contains(&*unit_path.to_string_lossy()),
        "systemd-analyze verify:\n{said}"
    );
    // Exposure 0 (locked down) to 10 (unsandboxed), given to --threshold in tenths; the unit
    // scores 1.8 today.
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=25", "--no-pager"])
        .arg(&unit_path)
        .output()
        .expect("systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(
        security.status.success(),
        "the unit lost its sandbox:\n{}{}",
        report.lines().last().unwrap_or_default(),
        String::from_utf8_lossy(&security.stderr)
    );
}
