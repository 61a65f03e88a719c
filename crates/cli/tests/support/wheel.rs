//! The tagman wheel as users get it, built once per test binary by the real `scripts/build-wheel`
//! (maturin) in the tool tests' shared build directory, so only tagman's own crates are compiled
//! again; and what it says about itself (platform tag, glibc floor).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use super::{cache_dir, describe, figure, project_root, shared_release_build};

/// The wheel file (in `target/tool-tests/dist/`, a directory holding only it).
pub fn wheel() -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(build)
}

/// The directory holding the wheel, for PIP_FIND_LINKS.
pub fn wheelhouse() -> &'static Path {
    wheel().parent().unwrap()
}

fn build() -> PathBuf {
    let out = cache_dir("dist");
    let started = Instant::now();
    let output = shared_release_build(&mut Command::new(
        project_root().join("scripts/build-wheel"),
    ))
    .arg("--out")
    .arg(&out)
    .output()
    .unwrap();
    let elapsed = started.elapsed();
    let text = describe(&output);
    assert!(
        output.status.success(),
        "scripts/build-wheel failed:\n{text}"
    );
    let wheels: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    assert_eq!(
        wheels.len(),
        1,
        "one wheel expected in {}:\n{text}",
        out.display()
    );
    let wheel = wheels.into_iter().next().unwrap();
    figure(&format!(
        "wheel built in {:.1} s (scripts/build-wheel, only tagman's crates compiled when the \
         shared build directory is warm): {}, {} bytes",
        elapsed.as_secs_f64(),
        wheel.file_name().unwrap().to_string_lossy(),
        std::fs::metadata(&wheel).unwrap().len(),
    ));
    wheel
}

/// The wheel's platform tag, from its file name (`starlingx_tagman-0.1.0-py3-none-<platform>.whl`).
pub fn platform_tag(wheel: &Path) -> String {
    let name = wheel.file_stem().unwrap().to_string_lossy().into_owned();
    name.rsplit('-').next().unwrap().to_owned()
}

/// The `manylinux_2_N_<arch>` tag among a wheel's platform tags (a set such as
/// `manylinux2014_x86_64.manylinux_2_17_x86_64` names one platform twice).
pub fn manylinux_tag(platform: &str) -> Option<&str> {
    platform
        .split('.')
        .find(|tag| tag.starts_with("manylinux_"))
}

/// The oldest glibc a `manylinux_2_N_<arch>` tag allows, as `2.N`.
pub fn glibc_floor(platform: &str) -> Option<String> {
    let rest = manylinux_tag(platform)?.strip_prefix("manylinux_")?;
    let mut parts = rest.splitn(3, '_');
    let (major, minor) = (parts.next()?, parts.next()?);
    Some(format!("{major}.{minor}"))
}
