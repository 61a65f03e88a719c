//! Starts a real registry (Debian's `docker-registry`, CNCF distribution 2.8) on a free loopback
//! port with a temp storage dir, waits until it answers, and kills it on drop.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry binary; `TAGMAN_REGISTRY_BIN` overrides it.
pub fn registry_bin() -> PathBuf {
    std::env::var_os("TAGMAN_REGISTRY_BIN")
        .map_or_else(|| PathBuf::from("/usr/bin/docker-registry"), PathBuf::from)
}

/// Auth the registry is configured with.
pub enum RegistryAuth {
    /// None.
    Anonymous,
    /// htpasswd file.
    Htpasswd(PathBuf),
    /// Token auth: realm URL, service, issuer, root cert bundle (PEM path).
    Token {
        realm: String,
        service: String,
        issuer: String,
        bundle: PathBuf,
    },
}

/// How to start one.
pub struct RegistryConfig {
    pub auth: RegistryAuth,
    /// TLS certificate and key (PEM paths).
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            auth: RegistryAuth::Anonymous,
            tls: None,
        }
    }
}

/// A running registry.
pub struct Registry {
    child: Child,
    pub addr: SocketAddr,
    /// Storage, config and logs; removed on drop.
    _dir: tempfile::TempDir,
    access_log: PathBuf,
}

impl Registry {
    /// An anonymous plain-HTTP registry.
    pub fn start() -> Self {
        Self::start_with(RegistryConfig::default())
    }

    pub fn start_with(config: RegistryConfig) -> Self {
        let bin = registry_bin();
        assert!(
            bin.exists(),
            "{} is missing: install Debian's docker-registry (apt-get install docker-registry)",
            bin.display()
        );
        let dir = scratch_dir();
        // A port is free between closing this listener and the registry binding it; retry on the rare race.
        for _ in 0..5 {
            let port = free_port();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let config_path = dir.path().join("config.yml");
            std::fs::write(
                &config_path,
                render_config(&config, addr, &dir.path().join("storage")),
            )
            .unwrap();
            let access_log = dir.path().join("stdout.log");
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&access_log).unwrap())
                .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
                .spawn()
                .unwrap();
            if wait_ready(
                &mut child,
                addr,
                &dir.path().join("stderr.log"),
                Duration::from_secs(20),
            ) {
                return Self {
                    child,
                    addr,
                    _dir: dir,
                    access_log,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("registry did not become ready")
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The access log (combined log format lines).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(&self.access_log).unwrap_or_default()
    }

    /// How many requests with `method` reached the registry's API.
    pub fn count(&self, method: &str) -> usize {
        let needle = format!("\"{method} /v2/");
        self.access_log()
            .lines()
            .filter(|l| l.contains(&needle))
            .count()
    }

    /// Waits until the access log holds `requests` API lines: the registry logs a request just
    /// after answering it, so a count read straight after a run may still be short.
    pub fn settle(&self, requests: u64) {
        let start = Instant::now();
        loop {
            let logged = self
                .access_log()
                .lines()
                .filter(|l| l.contains(" /v2/"))
                .count() as u64;
            if logged >= requests || start.elapsed() > Duration::from_secs(10) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Polls until the port accepts connections (the registry binds after it has initialised).
fn wait_ready(child: &mut Child, addr: SocketAddr, log: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            // Lost the port race: the caller tries another port.
            if log.contains("address already in use") {
                return false;
            }
            panic!("registry exited with {status}: {log}");
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temp dir for registry storage, on tmpfs when there is one: on this machine's disk
/// (mounted with `discard`) deleting a few thousand small files takes seconds.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("tagman-registry-")
        .to_owned();
    if shm.is_dir() {
        if let Ok(dir) = builder.tempdir_in(shm) {
            return dir;
        }
    }
    builder.tempdir().unwrap()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn render_config(config: &RegistryConfig, addr: SocketAddr, storage: &Path) -> String {
    let mut out = format!(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: {addr}\n  relativeurls: true\n",
        storage.display()
    );
    if let Some((cert, key)) = &config.tls {
        write!(
            out,
            "  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            key.display()
        )
        .unwrap();
    }
    match &config.auth {
        RegistryAuth::Anonymous => {}
        RegistryAuth::Htpasswd(path) => {
            write!(
                out,
                "auth:\n  htpasswd:\n    realm: tagman-test\n    path: {}\n",
                path.display()
            )
            .unwrap();
        }
        RegistryAuth::Token {
            realm,
            service,
            issuer,
            bundle,
        } => {
            write!(
                out,
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                bundle.display()
            )
            .unwrap();
        }
    }
    out
}
