//! Packages and archives built at test time from `fixtures/refs/release` (a chart in the shape
//! of StarlingX's ptp-notification application): chart tarballs with `tar`, Debian packages with
//! `dpkg-deb --build`, application tarballs nesting them four archives deep.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tree::copy;

/// The fixture application.
pub fn release() -> PathBuf {
    crate::paths::fixtures_dir().join("refs/release")
}

/// Runs a command, failing the test with its output when it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/test installs what the tests need)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `<out>/ptp-notification-2.2.0.tgz`, as `helm package` makes it: the sub-chart packed as
/// `charts/redis-7.2.0.tgz` inside. Built with `tar -czf`.
pub fn chart_tgz(work: &Path, out: &Path) -> PathBuf {
    let build = work.join("chart-build");
    copy(
        &release().join("charts/ptp-notification"),
        &build.join("ptp-notification"),
    );
    let charts = build.join("ptp-notification/charts");
    run(Command::new("tar")
        .arg("-czf")
        .arg(charts.join("redis-7.2.0.tgz"))
        .arg("-C")
        .arg(&charts)
        .arg("redis"));
    std::fs::remove_dir_all(charts.join("redis")).unwrap();
    std::fs::create_dir_all(out).unwrap();
    let tgz = out.join("ptp-notification-2.2.0.tgz");
    run(Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&build)
        .arg("ptp-notification"));
    std::fs::remove_dir_all(&build).unwrap();
    tgz
}

/// The package's tree with its charts as directories: what the inventory of the package must
/// equal. `usr/lib/helm/ptp-notification/` (sub-chart in `charts/redis/`), the FluxCD manifests
/// under `usr/lib/fluxcd/ptp-notification/`, and `DEBIAN/control`.
pub fn package_tree(root: &Path) {
    copy(
        &release().join("charts/ptp-notification"),
        &root.join("usr/lib/helm/ptp-notification"),
    );
    copy(
        &release().join("fluxcd-manifests"),
        &root.join("usr/lib/fluxcd"),
    );
    copy(&release().join("DEBIAN"), &root.join("DEBIAN"));
}

/// `dpkg-deb -Z<compression> --build` of [`package_tree`] with the chart packed as a tarball.
pub fn deb(work: &Path, compression: &str) -> PathBuf {
    let root = work.join(format!("pkgroot-{compression}"));
    package_tree(&root);
    std::fs::remove_dir_all(root.join("usr/lib/helm/ptp-notification")).unwrap();
    chart_tgz(work, &root.join("usr/lib/helm"));
    let deb = work.join(format!(
        "stx-ptp-notification-helm_1.0-1_all.{compression}.deb"
    ));
    run(Command::new("dpkg-deb")
        .arg(format!("-Z{compression}"))
        .arg("--root-owner-group")
        .arg("--build")
        .arg(&root)
        .arg(&deb));
    std::fs::remove_dir_all(&root).unwrap();
    deb
}

/// The application tarball's staging directory (as StarlingX's `stx-*-helm` rules make it):
/// `metadata.yaml`, `fluxcd-manifests/`, `charts/<chart>.tgz`.
pub fn app_staging(work: &Path) -> PathBuf {
    let staging = work.join("staging");
    copy(
        &release().join("fluxcd-manifests"),
        &staging.join("fluxcd-manifests"),
    );
    std::fs::write(
        staging.join("metadata.yaml"),
        "app_name: ptp-notification\napp_version: 1.0-1\n",
    )
    .unwrap();
    chart_tgz(work, &staging.join("charts"));
    staging
}

/// `stx-ptp-notification-helm`'s shape: a package holding the application tarball
/// (`usr/local/share/applications/helm/ptp-notification-1.0-1.tgz`), which holds the chart
/// tarball, which holds the sub-chart's: four archives deep.
pub fn app_deb(work: &Path) -> PathBuf {
    let staging = app_staging(work);
    let root = work.join("app-pkgroot");
    let apps = root.join("usr/local/share/applications/helm");
    std::fs::create_dir_all(&apps).unwrap();
    run(Command::new("tar")
        .arg("-czf")
        .arg(apps.join("ptp-notification-1.0-1.tgz"))
        .arg("-C")
        .arg(&staging)
        .arg("."));
    copy(&release().join("DEBIAN"), &root.join("DEBIAN"));
    let deb = work.join("stx-ptp-notification-apps_1.0-1_all.deb");
    run(Command::new("dpkg-deb")
        .arg("--root-owner-group")
        .arg("--build")
        .arg(&root)
        .arg(&deb));
    deb
}

/// Where an installer ISO keeps [`app_deb`]: a Debian pool's path.
pub const POOL_DEB: &str = "pool/main/s/stx-ptp/stx-ptp-notification-apps_1.0-1_all.deb";

/// An installer ISO's tree: [`app_deb`] at [`POOL_DEB`], beside a text file without references
/// and an empty directory.
pub fn iso_tree(work: &Path) -> PathBuf {
    let deb = app_deb(work);
    let tree = work.join("iso-tree");
    let pool = tree.join(POOL_DEB);
    std::fs::create_dir_all(pool.parent().unwrap()).unwrap();
    std::fs::copy(&deb, &pool).unwrap();
    std::fs::write(tree.join("README.txt"), "StarlingX test image\n").unwrap();
    std::fs::create_dir_all(tree.join("EFI/BOOT")).unwrap();
    tree
}

/// `xorriso -as mkisofs <flags> -o <out> <tree>`: an ISO 9660 image of `tree` (`-R -J` for Rock
/// Ridge and Joliet names, as installer ISOs are made).
pub fn iso(tree: &Path, out: &Path, flags: &[&str]) -> PathBuf {
    run(Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", "STX_TEST"])
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(tree));
    out.to_path_buf()
}
