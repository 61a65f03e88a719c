//! What publishing needs of the workspace: every crate packages with the files its sources embed
//! (the schemas tagman-core carries as a copy of `schemas/`), the copies stay equal to the
//! originals editors fetch, and `rust-version` is true (no dependency needs a newer Rust; the
//! toolchain of that version checks the workspace where rustup has it).
//!
//! The full `cargo publish --workspace --dry-run`, which compiles every crate again from its
//! package, is `scripts/release`'s first step; here the packages are made with `--no-verify` and
//! read.
use crate::support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use support::{cache_dir, describe, figure, files_under, project_root};

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}\n{}", describe(&out));
    out
}

/// The crates embed their copies; editors and `tagman schema` users read `schemas/` by URL.
#[test]
fn embedded_schema_copies_equal_the_schemas_directory() {
    let root = project_root();
    let originals: Vec<PathBuf> = std::fs::read_dir(root.join("schemas"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert!(originals.len() >= 2, "{originals:?}");
    for original in originals {
        let name = original.file_name().unwrap();
        let copy = root.join("crates/core/schemas").join(name);
        assert!(
            std::fs::read(&copy).ok() == Some(std::fs::read(&original).unwrap()),
            "crates/core/schemas/{0} differs from schemas/{0} (the crate embeds its copy): \
             cp schemas/*.json crates/core/schemas/",
            name.to_string_lossy()
        );
    }
}

/// `include_str!` / `include_bytes!` paths in a Rust source, as written.
fn included_paths(source: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for marker in ["include_str!(\"", "include_bytes!(\""] {
        let mut rest = source;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            if let Some(end) = rest.find('"') {
                paths.push(rest[..end].to_owned());
            }
        }
    }
    paths
}

/// Every crate that is published packages, and what its library and binary sources embed is in
/// its package (tagman-core's `include_str!("../../../schemas/…")` reached outside the crate and
/// could not be packaged). Tests and benches may read the workspace: they are not built from a
/// package by `cargo publish`.
#[test]
fn every_crate_packages_with_the_files_it_embeds() {
    let target = cache_dir("package");
    let metadata: Value = serde_json::from_slice(
        &run(cargo().args([
            "metadata",
            "--locked",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ]))
        .stdout,
    )
    .unwrap();
    // `publish = false`: the root package, which only exists for pre-commit's `cargo install
    // --path .` (its binary's source lies in crates/cli, which no package of the root can hold),
    // and the test helpers.
    let unpublished: Vec<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|package| package["publish"] == serde_json::json!([]))
        .map(|package| package["name"].as_str().unwrap())
        .collect();
    assert!(
        unpublished.contains(&"tagman-pre-commit"),
        "{unpublished:?}"
    );
    let mut pack = cargo();
    pack.args([
        "package",
        "--workspace",
        "--no-verify",
        "--locked",
        "--allow-dirty",
        // Everything it resolves was fetched for the build that runs this test.
        "--offline",
    ])
    .env("CARGO_TARGET_DIR", &target);
    for name in &unpublished {
        pack.args(["--exclude", name]);
    }
    run(&mut pack);
    let mut checked = 0;
    for package in metadata["packages"].as_array().unwrap() {
        if package["publish"] == serde_json::json!([]) {
            continue;
        }
        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        let crate_file = target.join(format!("package/{name}-{version}.crate"));
        let unpacked = target.join("unpacked");
        std::fs::create_dir_all(&unpacked).unwrap();
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&crate_file)
            .arg("-C")
            .arg(&unpacked));
        let root = unpacked.join(format!("{name}-{version}"));
        let src = root.join("src");
        let sources = files_under(&src)
            .into_iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"));
        for file in sources {
            let text = std::fs::read_to_string(&file).unwrap();
            for included in included_paths(&text) {
                let resolved = file.parent().unwrap().join(&included);
                let inside = resolved
                    .canonicalize()
                    .is_ok_and(|path| path.starts_with(root.canonicalize().unwrap()));
                assert!(
                    inside,
                    "{name}: {} embeds {included}, which its package does not hold",
                    file.strip_prefix(&root).unwrap().display()
                );
                checked += 1;
            }
        }
    }
    // tagman-core's two schemas at least: the check above looked at something.
    assert!(checked >= 2, "only {checked} embedded files found");
}

/// The workspace's `rust-version`, from `[workspace.package]`.
fn workspace_rust_version() -> String {
    let text = std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap();
    let line = text
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .take_while(|l| !l.starts_with("[") || l.trim() == "[workspace.package]")
        .find(|l| l.starts_with("rust-version"))
        .expect("rust-version in [workspace.package]");
    line.split('"').nth(1).unwrap().to_owned()
}

/// `1.89` or `1.89.0` as numbers, for comparing.
fn version_key(version: &str) -> Vec<u64> {
    let mut key: Vec<u64> = version
        .split('.')
        .map(|part| part.parse().unwrap())
        .collect();
    key.resize(3, 0);
    key
}

fn host() -> String {
    let out = run(Command::new("rustc").arg("-vV"));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_owned()
}

/// No crate tagman builds with on this platform asks for a newer Rust than the workspace says.
#[test]
fn rust_version_is_at_least_every_dependencys() {
    let msrv = workspace_rust_version();
    let metadata: Value = serde_json::from_slice(
        &run(cargo().args([
            "metadata",
            "--locked",
            "--offline",
            "--format-version",
            "1",
            "--filter-platform",
            &host(),
        ]))
        .stdout,
    )
    .unwrap();
    let used: Vec<&str> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap())
        .collect();
    let mut newer = Vec::new();
    let mut checked = 0;
    for package in metadata["packages"].as_array().unwrap() {
        if !used.contains(&package["id"].as_str().unwrap()) {
            continue;
        }
        if let Some(needs) = package["rust_version"].as_str() {
            checked += 1;
            if version_key(needs) > version_key(&msrv) {
                newer.push(format!(
                    "{} {} needs {needs}",
                    package["name"], package["version"]
                ));
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} packages declare a rust-version"
    );
    assert!(
        newer.is_empty(),
        "rust-version = \"{msrv}\" in Cargo.toml, but: {newer:?}"
    );
}

/// The toolchain of `rust-version` checks the whole workspace, where rustup has it installed
/// (`rustup toolchain install 1.89`); elsewhere this says it did not run.
#[test]
fn rust_version_toolchain_checks_the_workspace() {
    let msrv = workspace_rust_version();
    let Some(toolchain) = installed_toolchain(&msrv) else {
        figure(&format!(
            "MSRV check skipped: no Rust {msrv} toolchain installed (rustup toolchain install \
             {msrv} runs it)"
        ));
        return;
    };
    run(Command::new("rustup")
        .args(["run", &toolchain, "cargo", "check"])
        .args(["--workspace", "--locked"])
        .current_dir(project_root())
        .env("CARGO_TARGET_DIR", cache_dir("msrv-target"))
        .env_remove("RUSTC")
        .env_remove("CARGO"));
    figure(&format!("MSRV check: {toolchain} checks the workspace"));
}

/// An installed rustup toolchain whose rustc is version `msrv` (1.89 → 1.89.x).
fn installed_toolchain(msrv: &str) -> Option<String> {
    let list = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .ok()?;
    let wanted = version_key(msrv);
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .find(|name| {
            let Ok(out) = Command::new("rustup")
                .args(["run", name, "rustc", "--version"])
                .env("RUSTUP_AUTO_INSTALL", "0")
                .output()
            else {
                return false;
            };
            let text = String::from_utf8_lossy(&out.stdout);
            let version = text.split_whitespace().nth(1).unwrap_or("");
            let version = version.split('-').next().unwrap_or("");
            out.status.success()
                && version.split('.').count() == 3
                && version_key(version)[..2] == wanted[..2]
        })
}
