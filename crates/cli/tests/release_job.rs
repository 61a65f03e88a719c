//! Issue 18: the release job gives PyPI only the wheel. zuul-jobs' upload-pypi uploads every
//! `*.whl`, `*.tar.gz` and `*.zip` in `pypi_path`, and scripts/release writes the binary tarball
//! (`tagman-V-TARGET.tar.gz`) beside the wheel: with `pypi_path: dist` PyPI would get the tarball
//! as an sdist. The job runs under ansible-playbook with stand-ins for ensure-rust and
//! upload-pypi (support/zuul/roles/, built from the real role's tasks) and with a stand-in
//! scripts/release in the checked-out project that writes the artifacts' names as the real one
//! does (not their contents: building them takes minutes and is tested elsewhere).

use crate::support;

use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};
use support::zuul::{playbook_command, zuul_vars};
use support::{describe, git_init};

#[test]
fn release_job_uploads_only_the_wheel() {
    let scratch = tempfile::tempdir().unwrap();
    let src = scratch.path().join("src/opendev.org/starlingx/tagman");
    std::fs::create_dir_all(src.join("scripts")).unwrap();
    git_init(&src);
    let release = src.join("scripts/release");
    std::fs::write(
        &release,
        "#!/bin/sh\n# Stand-in: the artifacts scripts/release writes into --out.\nset -e\n\
         mkdir -p \"$2\"\ncd \"$2\"\n\
         touch starlingx_tagman-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl \
         tagman-0.1.0-x86_64-unknown-linux-gnu.tar.gz tagman-0.1.0.cdx.json SHA256SUMS\n",
    )
    .unwrap();
    std::fs::set_permissions(&release, std::fs::Permissions::from_mode(0o755)).unwrap();
    let vars = zuul_vars(scratch.path(), &src, "0", json!({}));
    let uploads = scratch.path().join("uploads.json");
    let out = playbook_command(
        scratch.path(),
        "release.yaml",
        &vars,
        &scratch.path().join("zuul_return.json"),
        &[
            "-e".to_owned(),
            json!({"pypi_info": {"username": "__token__", "password": "x"}}).to_string(),
            "-e".to_owned(),
            format!("tagman_cargo_bin_dir={}", scratch.path().display()),
            "-e".to_owned(),
            format!("ansible_user_dir={}", scratch.path().display()),
        ],
    )
    .env("TAGMAN_PYPI_UPLOADS", &uploads)
    .output()
    .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let uploaded: Value = serde_json::from_slice(&std::fs::read(&uploads).unwrap()).unwrap();
    assert_eq!(
        uploaded,
        json!(["starlingx_tagman-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"]),
        "{text}"
    );
    // Every artifact is still kept with the build's logs.
    let kept = std::fs::read_dir(scratch.path().join("zuul-output/artifacts"))
        .unwrap()
        .count();
    assert_eq!(kept, 4, "{text}");
}
