//! Credentials from Docker config files (`auths`, `credHelpers`, `credsStore`) and `--auth-file`.
//!
//! Secrets live only in [`Credential`], whose `Debug` is written by hand so a secret never reaches
//! a log line, an error or a report.

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use base64::Engine as _;

use crate::error::Error;

const HELPER_PREFIX: &str = "docker-credential-";

/// A user name and its secret (password or token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The user name (not secret).
    pub username: String,
    secret: String,
}

impl Credential {
    /// A credential from a user name and a secret.
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            secret: secret.into(),
        }
    }

    /// The `Authorization: Basic …` value.
    pub(crate) fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// One Docker config file's credential part.
#[derive(Default, serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Where credentials come from, in order of precedence, with a per-registry cache.
pub struct CredentialStore {
    files: Vec<(PathBuf, ConfigFile)>,
    /// Every file looked in, the Docker config included when it does not exist (for "looked in").
    searched: Vec<PathBuf>,
    /// `(registry, also)`: credentials for `registry` are looked up under `also` when it has none
    /// of its own (a `--registry-map` target serving `also`'s names).
    aliases: Vec<(String, String)>,
    /// Helpers are `<prefix><name>`: `docker-credential-` on PATH (tests point it at a directory).
    helper_prefix: String,
    cache: Mutex<HashMap<String, Option<Credential>>>,
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paths: Vec<_> = self.files.iter().map(|(p, _)| p).collect();
        f.debug_struct("CredentialStore")
            .field("files", &paths)
            .finish_non_exhaustive()
    }
}

impl CredentialStore {
    /// No credentials at all: every registry is anonymous.
    pub fn empty() -> Self {
        Self {
            files: Vec::new(),
            searched: Vec::new(),
            aliases: Vec::new(),
            cache: Mutex::new(HashMap::new()),
            helper_prefix: HELPER_PREFIX.to_owned(),
        }
    }

    /// `--auth-file` paths first, then the Docker config (`$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`) when `docker_config` is set and the file exists.
    pub fn load(auth_files: &[PathBuf], docker_config: bool) -> Result<Self, Error> {
        let mut files = Vec::new();
        let mut searched = auth_files.to_vec();
        for path in auth_files {
            files.push((path.clone(), read_config(path)?));
        }
        if docker_config {
            if let Some(path) = docker_config_path() {
                if path.is_file() {
                    files.push((path.clone(), read_config(&path)?));
                }
                searched.push(path);
            }
        }
        Ok(Self {
            files,
            searched,
            aliases: Vec::new(),
            cache: Mutex::new(HashMap::new()),
            helper_prefix: HELPER_PREFIX.to_owned(),
        })
    }

    /// A store holding one credential for one registry (tests, embedding).
    pub fn single(registry: &str, credential: Credential) -> Self {
        let store = Self::empty();
        if let Ok(mut cache) = store.cache.lock() {
            cache.insert(normalize(registry), Some(credential));
        }
        store
    }

    /// Credentials for `registry` are also looked up under `also` (after its own): the
    /// `--registry-map` target `registry` serves `also`'s names, and a CI secret is keyed by the
    /// name the manifest uses.
    pub fn alias(&mut self, registry: &str, also: &str) {
        let pair = (normalize(registry), normalize(also));
        if pair.0 != pair.1 && !self.aliases.contains(&pair) {
            self.aliases.push(pair);
        }
    }

    /// The keys `registry`'s credentials are looked up under, in order.
    pub fn keys(&self, registry: &str) -> Vec<String> {
        let key = normalize(registry);
        let mut keys = vec![key.clone()];
        for (from, also) in &self.aliases {
            if *from == key && !keys.contains(also) {
                keys.push(also.clone());
            }
        }
        keys
    }

    /// The files looked in (the Docker config's path also when it does not exist).
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }

    /// The credential for `registry` (or, failing that, for a registry it stands in for), looked
    /// up once and cached.
    pub fn get(&self, registry: &str) -> Result<Option<Credential>, Error> {
        let key = normalize(registry);
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let mut found = None;
        for candidate in self.keys(registry) {
            found = self.lookup(&candidate)?;
            if found.is_some() {
                break;
            }
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, found.clone());
        }
        Ok(found)
    }

    fn lookup(&self, key: &str) -> Result<Option<Credential>, Error> {
        for (_, file) in &self.files {
            if let Some(helper) = file
                .cred_helpers
                .iter()
                .find(|(k, _)| normalize(k) == key)
                .map(|(_, v)| v)
            {
                return run_helper(&self.helper_prefix, helper, key).map(Some);
            }
            if let Some(entry) = file
                .auths
                .iter()
                .find(|(k, _)| normalize(k) == key)
                .map(|(_, v)| v)
            {
                if let Some(credential) = decode_entry(entry) {
                    return Ok(Some(credential));
                }
            }
            if let Some(store) = &file.creds_store {
                if let Ok(credential) = run_helper(&self.helper_prefix, store, key) {
                    return Ok(Some(credential));
                }
            }
        }
        Ok(None)
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, Error> {
    let text =
        tagman_net::body::read_file(path, tagman_net::Limit::LOCAL_FILE).map_err(|source| {
            Error::CredentialFile {
                path: path.to_owned(),
                source,
            }
        })?;
    serde_json::from_slice(&text).map_err(|source| Error::CredentialFormat {
        path: path.to_owned(),
        source,
    })
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// Config keys come as `https://index.docker.io/v1/`, `docker.io`, `host:port`, `https://host:port`.
fn normalize(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key);
    tagman_core::reference::canonical_registry(host).to_owned()
}

fn decode_entry(entry: &AuthEntry) -> Option<Credential> {
    if let (Some(user), Some(pass)) = (&entry.username, &entry.password) {
        return Some(Credential::new(user.clone(), pass.clone()));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(entry.auth.as_deref()?.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (user, pass) = raw.split_once(':')?;
    Some(Credential::new(user, pass))
}

/// Runs `docker-credential-<helper> get` with the registry on stdin (the helper protocol).
fn run_helper(prefix: &str, helper: &str, registry: &str) -> Result<Credential, Error> {
    let failed = || Error::CredentialHelper {
        helper: helper.to_owned(),
        registry: registry.to_owned(),
    };
    let mut child = Command::new(format!("{prefix}{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| failed())?;
    // Docker Hub's helpers key on the v1 URL.
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(server.as_bytes()).map_err(|_| failed())?;
    }
    let output = child.wait_with_output().map_err(|_| failed())?;
    if !output.status.success() {
        return Err(failed());
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&output.stdout).map_err(|_| failed())?;
    Ok(Credential::new(answer.username, answer.secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let credential = Credential::new("robot", "hunter2-s3cret");
        let shown = format!(
            "{credential:?} {:?}",
            CredentialStore::single("r", credential.clone())
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("robot"));
    }

    #[test]
    fn reads_auths_in_both_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("u1:p1");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},
                "registry.local:9001":{{"username":"u2","password":"p2"}}}}}}"#
            ),
        )
        .unwrap();
        let store = CredentialStore::load(&[path], false).unwrap();
        assert_eq!(
            store.get("docker.io").unwrap(),
            Some(Credential::new("u1", "p1"))
        );
        assert_eq!(
            store.get("registry.local:9001").unwrap(),
            Some(Credential::new("u2", "p2"))
        );
        assert_eq!(store.get("elsewhere").unwrap(), None);
    }

    #[test]
    fn a_mapped_registry_falls_back_to_the_name_it_serves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(
            &path,
            r#"{"auths":{"docker.io":{"username":"hub","password":"p1"},"own:5000":{"username":"own","password":"p2"}}}"#,
        )
        .unwrap();
        let mut store = CredentialStore::load(std::slice::from_ref(&path), false).unwrap();
        store.alias("mirror:5000", "docker.io");
        store.alias("own:5000", "docker.io");
        assert_eq!(store.keys("mirror:5000"), ["mirror:5000", "docker.io"]);
        assert_eq!(store.get("mirror:5000").unwrap().unwrap().username, "hub");
        assert_eq!(store.get("own:5000").unwrap().unwrap().username, "own");
        assert_eq!(store.get("other:5000").unwrap(), None);
        assert_eq!(store.searched(), [path]);
    }

    #[test]
    fn cred_helpers_and_creds_store_are_asked() {
        let dir = tempfile::tempdir().unwrap();
        // A helper speaking the protocol: the server on stdin, JSON on stdout.
        let helper = dir.path().join("docker-credential-fake");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"u-%s\",\"Secret\":\"s3cret\"}' \"$server\" \"$server\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"credHelpers":{"reg.example:5000":"fake","broken.example":"missing"},"credsStore":"fake"}"#,
        )
        .unwrap();
        let mut store = CredentialStore::load(&[path], false).unwrap();
        store.helper_prefix = format!("{}/docker-credential-", dir.path().display());
        let got = store.get("reg.example:5000").unwrap().unwrap();
        assert_eq!(got, Credential::new("u-reg.example:5000", "s3cret"));
        let hub = store.get("docker.io").unwrap().unwrap();
        assert_eq!(
            hub.username, "u-https://index.docker.io/v1/",
            "credsStore, keyed by the v1 URL"
        );
        let err = store.get("broken.example").unwrap_err();
        assert_eq!(err.kind(), "credentials");
        assert!(!format!("{err} {err:?}").contains("s3cret"));
    }

    #[test]
    fn bad_file_is_a_typed_error_without_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(&path, "{ not json hunter2").unwrap();
        let err = CredentialStore::load(&[path], false).unwrap_err();
        assert_eq!(err.kind(), "credentials");
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[test]
    fn an_endless_file_is_refused_by_name_at_the_limit() {
        let err = CredentialStore::load(&[PathBuf::from("/dev/zero")], false).unwrap_err();
        assert_eq!(err.kind(), "credentials");
        assert_eq!(
            err.to_string(),
            "cannot read credentials from /dev/zero: it holds more than 1 MiB; refusing to read further"
        );
    }
}
