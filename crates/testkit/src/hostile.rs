//! Hostile and awkward archives for the hardening tests, the benchmarks and `scripts/hostile`,
//! made the way real tools make them: tar headers written byte by byte as POSIX and GNU define
//! them (pax `path` records, type `7`, unknown types), compression by the real `zstd`, `bzip2`
//! and `xz` programs, GNU sparse members by GNU tar itself, a `data.tar.lzma` package by `ar` as
//! old dpkg-deb wrote it (today's dpkg-deb still installs it but refuses to build it).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::packages::run;

/// The line the reference bombs repeat: a floating reference to a managed image.
pub const DEX_LINE: &str = "image: docker.io/starlingx/dex:latest\n";

/// `DEX_LINE` repeated to at most `bytes` bytes (whole lines).
pub fn references(bytes: usize) -> Vec<u8> {
    DEX_LINE.repeat(bytes / DEX_LINE.len()).into_bytes()
}

/// A ustar header for `name` (at most 100 bytes: longer names go in a pax record before it),
/// of `size` bytes and type `kind`.
pub fn tar_header(name: &str, size: u64, kind: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    let name = name.as_bytes();
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// One tar entry: a pax header with the `path` record first when `name` is longer than a
/// ustar name, then the header of type `kind` and `data` padded to 512.
pub fn tar_entry(name: &str, kind: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if name.len() > 100 {
        out.extend(pax_entry(&[("path", name)]));
    }
    out.extend_from_slice(&tar_header(name, data.len() as u64, kind));
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

/// A pax extended header (type `x`) holding `records`, as `len key=value\n` lines.
pub fn pax_entry(records: &[(&str, &str)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (key, value) in records {
        let body = format!(" {key}={value}\n");
        // The length counts its own digits.
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        data.extend_from_slice(format!("{len}{body}").as_bytes());
    }
    let mut out = tar_header("PaxHeaders/x", data.len() as u64, b'x').to_vec();
    out.extend_from_slice(&data);
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

/// The two zero blocks that end a tar.
pub const TAR_END: [u8; 1024] = [0; 1024];

/// Runs `cmd` with `input` streamed to its stdin (from a thread, so nothing is held whole) and
/// returns its stdout.
pub fn pipe(cmd: &mut Command, mut input: Box<dyn Read + Send>) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || std::io::copy(&mut input, &mut stdin).map(|_| ()));
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    feeder.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success(), "{cmd:?} failed");
    out
}

/// A tar of `members` members, `values-N.yaml`, each `member_bytes` of [`DEX_LINE`], as a
/// stream (the members are made as they are read).
pub fn references_tar(members: usize, member_bytes: usize) -> Box<dyn Read + Send> {
    let body = references(member_bytes);
    let mut stream: Box<dyn Read + Send> = Box::new(std::io::empty());
    for i in 0..members {
        let entry = tar_entry(&format!("values-{i}.yaml"), b'0', &body);
        stream = Box::new(stream.chain(std::io::Cursor::new(entry)));
    }
    Box::new(stream.chain(std::io::Cursor::new(TAR_END)))
}

/// A tar of `members` members of `member_bytes` zeros each, as a stream.
pub fn zeros_tar(members: usize, member_bytes: u64) -> Box<dyn Read + Send> {
    let mut stream: Box<dyn Read + Send> = Box::new(std::io::empty());
    for i in 0..members {
        let header = std::io::Cursor::new(tar_header(&format!("zeros-{i}"), member_bytes, b'0'));
        let zeros = std::io::repeat(0).take(member_bytes);
        stream = Box::new(stream.chain(header).chain(zeros));
    }
    Box::new(stream.chain(std::io::Cursor::new(TAR_END)))
}

/// A `.tgz` (gzip -9) of one member `<dir>/values.yaml`, where `<dir>` is `name_bytes` of
/// `n` (a pax `path` record carries it), holding `refs` lines of [`DEX_LINE`]: the 1.4 KB repro
/// of issue 20's unbounded names.
pub fn long_name_tgz(name_bytes: usize, refs: usize) -> Vec<u8> {
    let name = format!("{}/values.yaml", "n".repeat(name_bytes));
    let tar = [
        tar_entry(&name, b'0', DEX_LINE.repeat(refs).as_bytes()),
        TAR_END.to_vec(),
    ];
    compress(
        "gzip",
        &["-9"],
        Box::new(std::io::Cursor::new(tar.concat())),
    )
}

/// `input` compressed by `program` with `args` (`zstd -19`, `bzip2 -9`, `xz -9e` …).
pub fn compress(program: &str, args: &[&str], input: Box<dyn Read + Send>) -> Vec<u8> {
    pipe(Command::new(program).args(args).arg("-c"), input)
}

/// `bytes` as a file at `path` (its directories made).
pub fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(bytes).unwrap();
    path.to_path_buf()
}

/// A package as `dpkg-deb -Zlzma` built it before dpkg 1.21 refused to: `debian-binary`,
/// `control.tar.xz`, `data.tar.lzma` (LZMA_Alone, `xz --format=lzma -9`), joined by `ar`.
/// `tree` holds `DEBIAN/control` and the installed files.
pub fn lzma_deb(work: &Path, tree: &Path) -> PathBuf {
    let parts = work.join("lzma-deb-parts");
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::write(parts.join("debian-binary"), "2.0\n").unwrap();
    let tar = |args: &[&str], out: &str| {
        let mut cmd = Command::new("tar");
        cmd.args(["--owner=0", "--group=0", "-C"]).arg(tree);
        run(cmd.args(args).arg("-cf").arg(parts.join(out)).arg("."));
    };
    tar(&["--exclude=./DEBIAN"], "data.tar");
    run(Command::new("tar")
        .args(["--owner=0", "--group=0", "-C"])
        .arg(tree.join("DEBIAN"))
        .arg("-cf")
        .arg(parts.join("control.tar"))
        .arg("."));
    run(Command::new("xz").arg("-9").arg(parts.join("control.tar")));
    run(Command::new("xz")
        .args(["--format=lzma", "-9"])
        .arg(parts.join("data.tar")));
    let deb = work.join("legacy_1.0_all.deb");
    run(Command::new("ar")
        .arg("rc")
        .arg(&deb)
        .arg(parts.join("debian-binary"))
        .arg(parts.join("control.tar.xz"))
        .arg(parts.join("data.tar.lzma")));
    std::fs::remove_dir_all(&parts).unwrap();
    deb
}

/// A GNU tar (`tar --sparse --format=gnu`) holding `sparse.yaml`: `head`, a hole to 1 MiB, then
/// `tail`, stored as a GNU sparse member (type `S`).
pub fn gnu_sparse_tar(work: &Path, head: &str, tail: &str) -> Vec<u8> {
    let dir = work.join("sparse-src");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join("sparse.yaml")).unwrap();
    let mut file = std::io::BufWriter::new(file);
    use std::io::Seek;
    file.write_all(head.as_bytes()).unwrap();
    file.seek(std::io::SeekFrom::Start(1024 * 1024)).unwrap();
    file.write_all(tail.as_bytes()).unwrap();
    file.flush().unwrap();
    drop(file);
    let out = work.join("sparse.tar");
    run(Command::new("tar")
        .args(["--sparse", "--format=gnu", "-C"])
        .arg(&dir)
        .arg("-cf")
        .arg(&out)
        .arg("sparse.yaml"));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        bytes[156], b'S',
        "GNU tar stored no sparse member (no hole on this file system?)"
    );
    bytes
}
