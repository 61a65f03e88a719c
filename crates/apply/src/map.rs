//! Where images really live: `--registry-map FROM=TO` rules (a registry, or a registry and a
//! namespace, served from another registry and path) and the `--to` location, each checked when
//! given, so a URL or a bare word fails with a message that says what to write instead.

use std::fmt;

use tagman_core::reference::{canonical_registry, ImageName};

/// A malformed `--registry-map` or `--to` value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// Not `FROM=TO`.
    #[error("`{0}` is not FROM=TO")]
    NotAPair(String),
    /// The registry part is empty or has spaces.
    #[error("`{0}` is not a registry[/prefix]")]
    BadLocation(String),
    /// A URL where a registry host is wanted.
    #[error("`{value}` is a URL: name the registry as host[:port][/path] without a scheme{}", if *plain_http { "; to speak plain HTTP to it, pass --insecure-registry HOST:PORT" } else { "" })]
    Scheme {
        /// The value given.
        value: String,
        /// Whether the scheme was `http://`.
        plain_http: bool,
    },
    /// Credentials in the value (`user:pw@host`): they would be printed on every line.
    #[error("`{redacted}` holds credentials (`user:password@`): name the registry alone and give the credentials in the Docker config or --auth-file")]
    Credentials {
        /// The value with the credentials replaced by `***`.
        redacted: String,
    },
    /// Not a registry reference by the distribution grammar (a `..` or `.` path part, an escape
    /// sequence, a character no repository may hold).
    #[error("`{value}` is not a registry[:port][/path] reference: {reason}")]
    NotAReference {
        /// The value given, control characters written out.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The first part is a bare word, which is a Docker Hub namespace, not a registry host.
    #[error("`{value}` does not start with a registry host (a name with a `.` or a `:port`, or localhost): write `docker.io/{value}` for a Docker Hub namespace")]
    NotAHost {
        /// The value given.
        value: String,
    },
}

/// Whether `host` names a registry rather than a Docker Hub namespace (Docker's own rule).
fn is_registry_host(host: &str) -> bool {
    host.contains('.') || host.contains(':') || host == "localhost"
}

fn check_value(value: &str) -> Result<&str, MapError> {
    let value = value.trim().trim_end_matches('/');
    if let Some((scheme, _)) = value.split_once("://") {
        return Err(MapError::Scheme {
            value: value.to_owned(),
            plain_http: scheme.eq_ignore_ascii_case("http"),
        });
    }
    if let Some((userinfo, rest)) = value.split_once('@') {
        let host_start = userinfo.rfind('/').map_or(0, |i| i + 1);
        return Err(MapError::Credentials {
            redacted: format!("{}***@{rest}", &userinfo[..host_start]),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(MapError::NotAReference {
            value: value.escape_debug().to_string(),
            reason: "it holds control characters",
        });
    }
    if value.is_empty() || value.contains(char::is_whitespace) || value.contains("//") {
        return Err(MapError::BadLocation(value.to_owned()));
    }
    let mut parts = value.split('/');
    let host = parts.next().unwrap_or(value);
    if !is_registry_host(host) {
        return Err(MapError::NotAHost {
            value: value.to_owned(),
        });
    }
    let bad = |reason| MapError::NotAReference {
        value: value.to_owned(),
        reason,
    };
    if !valid_host(host) {
        return Err(bad(
            "the host is not a domain or address with an optional numeric port",
        ));
    }
    if !parts.all(valid_path_component) {
        return Err(bad(
            "each path part is lowercase letters and digits joined by `.`, `_`, `__` or `-` (no `.` or `..` parts)",
        ));
    }
    Ok(value)
}

/// A registry host as the distribution reference grammar has it: domain components of letters,
/// digits and inner `-`, or a bracketed IPv6 address, then an optional numeric port.
fn valid_host(host: &str) -> bool {
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, rest)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => {
                ("v6", rest.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let component = |c: &str| {
        !c.is_empty()
            && !c.starts_with('-')
            && !c.ends_with('-')
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    port_ok && name.split('.').all(component)
}

/// A repository path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_path_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &part[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

/// A registry (with an optional path prefix) that stands in for another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `host[:port]`.
    pub registry: String,
    /// A path prefix put before the repository, if any.
    pub prefix: Option<String>,
}

impl Location {
    /// Parses `host[:port][/prefix…]`: no scheme, and a host that is one.
    pub fn parse(input: &str) -> Result<Self, MapError> {
        let input = check_value(input)?;
        let (registry, prefix) = match input.split_once('/') {
            Some((registry, prefix)) => (registry, Some(prefix.to_owned())),
            None => (input, None),
        };
        Ok(Self {
            registry: registry.to_owned(),
            prefix,
        })
    }

    /// `name` moved here.
    pub fn apply(&self, name: &ImageName) -> ImageName {
        name.with_registry(&self.registry, self.prefix.as_deref())
    }

    /// `rest` (a repository path) placed here.
    fn place(&self, rest: &str) -> Option<ImageName> {
        let repository = match &self.prefix {
            Some(prefix) => format!("{prefix}/{rest}"),
            None => rest.to_owned(),
        };
        ImageName::parse(&format!("{}/{repository}", self.registry)).ok()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.prefix {
            Some(prefix) => write!(f, "{}/{prefix}", self.registry),
            None => f.write_str(&self.registry),
        }
    }
}

/// One `FROM=TO` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapRule {
    /// The rule as given.
    pub text: String,
    /// FROM's registry, canonical (`docker.io`).
    pub registry: String,
    /// FROM's namespace, if it has one (`starlingx` in `docker.io/starlingx`).
    pub namespace: Option<String>,
    /// Where the names are served from.
    pub to: Location,
}

impl MapRule {
    /// Parses `FROM=TO`.
    pub fn parse(rule: &str) -> Result<Self, MapError> {
        let (from, to) = rule
            .split_once('=')
            .ok_or_else(|| MapError::NotAPair(rule.to_owned()))?;
        if from.trim().is_empty() || to.trim().is_empty() {
            return Err(MapError::NotAPair(rule.to_owned()));
        }
        let from = check_value(from)?;
        let (registry, namespace) = match from.split_once('/') {
            Some((registry, namespace)) => (registry, Some(namespace.to_owned())),
            None => (from, None),
        };
        Ok(Self {
            text: rule.trim().to_owned(),
            registry: canonical_registry(registry).to_owned(),
            namespace,
            to: Location::parse(to)?,
        })
    }

    /// How specifically the rule matches `name` (the namespace's length), or `None`.
    fn matches(&self, name: &ImageName) -> Option<usize> {
        if name.registry() != self.registry {
            return None;
        }
        match &self.namespace {
            None => Some(0),
            Some(ns) => name
                .repository()
                .strip_prefix(ns.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
                .then_some(ns.len()),
        }
    }

    fn apply(&self, name: &ImageName) -> ImageName {
        let moved = match &self.namespace {
            None => None,
            Some(ns) => name
                .repository()
                .strip_prefix(ns.as_str())
                .and_then(|rest| self.to.place(rest.trim_start_matches('/'))),
        };
        moved.unwrap_or_else(|| self.to.apply(name))
    }
}

/// `--registry-map FROM=TO` rules: the names of registry (or registry/namespace) FROM are served
/// from TO. The most specific matching rule wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryMap {
    rules: Vec<MapRule>,
}

impl RegistryMap {
    /// Adds a `FROM=TO` rule.
    pub fn push(&mut self, rule: &str) -> Result<(), MapError> {
        self.rules.push(MapRule::parse(rule)?);
        Ok(())
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[MapRule] {
        &self.rules
    }

    fn rule_for(&self, name: &ImageName) -> Option<&MapRule> {
        self.rules
            .iter()
            .filter_map(|rule| rule.matches(name).map(|n| (n, rule)))
            .max_by_key(|(n, _)| *n)
            .map(|(_, rule)| rule)
    }

    /// Where `name` is actually served from.
    pub fn resolve(&self, name: &ImageName) -> ImageName {
        self.rule_for(name)
            .map_or_else(|| name.clone(), |rule| rule.apply(name))
    }

    /// The rules no name of `names` uses (a typo, or a map meant for another manifest).
    pub fn unused<'a>(
        &'a self,
        names: impl IntoIterator<Item = &'a ImageName>,
    ) -> Vec<&'a MapRule> {
        let mut used = vec![false; self.rules.len()];
        for name in names {
            if let Some(rule) = self.rule_for(name) {
                if let Some(i) = self.rules.iter().position(|r| std::ptr::eq(r, rule)) {
                    used[i] = true;
                }
            }
        }
        self.rules
            .iter()
            .zip(used)
            .filter_map(|(rule, used)| (!used).then_some(rule))
            .collect()
    }

    /// `(TO registry, FROM registry)` of each rule: credentials for TO may be those of FROM.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules
            .iter()
            .map(|rule| (rule.to.registry.as_str(), rule.registry.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_map_rules() {
        let mut map = RegistryMap::default();
        map.push("docker.io=127.0.0.1:5000").unwrap();
        map.push("quay.io=registry.local:9001/quay.io").unwrap();
        map.push("docker.io/starlingx=mirror:5000/stx").unwrap();
        map.push("docker.io/starlingx/special=mirror:5000/one-off")
            .unwrap();
        let cases = [
            ("docker.io/starlingx/x", "mirror:5000/stx/x"),
            ("starlingx/x", "mirror:5000/stx/x"),
            ("docker.io/starlingx/special/y", "mirror:5000/one-off/y"),
            ("docker.io/starlingxy/x", "127.0.0.1:5000/starlingxy/x"),
            ("busybox", "127.0.0.1:5000/library/busybox"),
            ("quay.io/a/b", "registry.local:9001/quay.io/a/b"),
            ("gcr.io/a/b", "gcr.io/a/b"),
        ];
        for (input, want) in cases {
            let name = ImageName::parse(input).unwrap();
            assert_eq!(map.resolve(&name).to_string(), want, "{input}");
        }
        let names = [ImageName::parse("docker.io/starlingx/x").unwrap()];
        let unused: Vec<&str> = map.unused(&names).iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            unused,
            [
                "docker.io=127.0.0.1:5000",
                "quay.io=registry.local:9001/quay.io",
                "docker.io/starlingx/special=mirror:5000/one-off"
            ]
        );
        let aliases: Vec<_> = map.aliases().collect();
        assert_eq!(aliases[0], ("127.0.0.1:5000", "docker.io"));
    }

    #[test]
    fn bad_rules_say_what_to_write() {
        let cases = [
            ("nothing", "is not FROM=TO"),
            ("a.io=", "is not FROM=TO"),
            (
                "docker.io=http://127.0.0.1:5077",
                "pass --insecure-registry HOST:PORT",
            ),
            ("docker.io=https://mirror.example", "without a scheme"),
            ("https://docker.io=mirror:5000", "without a scheme"),
            ("starlingx=mirror:5000", "write `docker.io/starlingx`"),
            ("docker.io=mirror", "does not start with a registry host"),
            ("docker.io=mirror:5000//x", "is not a registry[/prefix]"),
            // Regression (issue 20): all three were accepted, the password printed on every line.
            ("docker.io=mirror:5000/../../v2", "no `.` or `..` parts"),
            ("docker.io=mirror:5000/\u{1b}[31mx", "control characters"),
            ("docker.io=user:s3cret@mirror:5000", "holds credentials"),
            ("docker.io=mirror:50a0", "numeric port"),
            ("docker.io=mirror:5000/UPPER", "lowercase"),
        ];
        for (rule, want) in cases {
            let err = RegistryMap::default().push(rule).unwrap_err();
            assert!(err.to_string().contains(want), "{rule}: {err}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
            assert!(!err.to_string().contains('\u{1b}'), "{err}");
        }
        for good in [
            "docker.io=[::1]:5000/mirror",
            "docker.io=reg.example/a__b/c-d.e_f",
        ] {
            assert!(RegistryMap::default().push(good).is_ok(), "{good}");
        }
        assert!(!MapError::Scheme {
            value: "https://x".into(),
            plain_http: false
        }
        .to_string()
        .contains("insecure"));
    }

    #[test]
    fn location_parse() {
        let loc = Location::parse("reg:9001/mirror/").unwrap();
        assert_eq!(loc.registry, "reg:9001");
        assert_eq!(loc.prefix.as_deref(), Some("mirror"));
        assert_eq!(loc.to_string(), "reg:9001/mirror");
        assert_eq!(Location::parse("reg.example").unwrap().prefix, None);
        assert!(Location::parse("localhost").is_ok());
    }
}
