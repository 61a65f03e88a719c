//! Pure URL builders for the registry API: no I/O, so every path the client requests is table-tested here.

use url::Url;

use crate::error::Error;

/// Where a registry answers: scheme and host[:port].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The host[:port] as named by the user (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Whether to speak plain HTTP (only for registries named insecure).
    pub plain_http: bool,
}

impl Endpoint {
    /// An endpoint for `registry`, over TLS unless `plain_http`.
    pub fn new(registry: &str, plain_http: bool) -> Self {
        Self {
            registry: registry.to_owned(),
            plain_http,
        }
    }

    /// The host the API lives on: Docker Hub's API is not at `docker.io`.
    pub fn api_host(&self) -> &str {
        match self.registry.as_str() {
            "docker.io" | "index.docker.io" => "registry-1.docker.io",
            other => other,
        }
    }

    fn base(&self) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}/v2/", self.api_host())
    }

    fn join(&self, repository: &str, rest: &str) -> Result<Url, Error> {
        Url::parse(&format!("{}{repository}/{rest}", self.base())).map_err(|_| Error::Url {
            registry: self.registry.clone(),
            repository: repository.to_owned(),
        })
    }

    /// `/v2/`: the API version check, used to learn how a registry authenticates.
    pub fn ping(&self) -> Result<Url, Error> {
        Url::parse(&self.base()).map_err(|_| Error::Url {
            registry: self.registry.clone(),
            repository: String::new(),
        })
    }

    /// `/v2/<repository>/manifests/<tag or digest>`.
    pub fn manifest(&self, repository: &str, reference: &str) -> Result<Url, Error> {
        self.join(repository, &format!("manifests/{reference}"))
    }

    /// `/v2/<repository>/blobs/<digest>`.
    pub fn blob(&self, repository: &str, digest: &str) -> Result<Url, Error> {
        self.join(repository, &format!("blobs/{digest}"))
    }

    /// `/v2/<repository>/blobs/uploads/`: starts an upload session.
    pub fn upload(&self, repository: &str) -> Result<Url, Error> {
        self.join(repository, "blobs/uploads/")
    }

    /// `/v2/<repository>/blobs/uploads/?mount=<digest>&from=<source>`: a cross-repository mount.
    pub fn mount(&self, repository: &str, digest: &str, from: &str) -> Result<Url, Error> {
        let mut url = self.upload(repository)?;
        url.query_pairs_mut()
            .append_pair("mount", digest)
            .append_pair("from", from);
        Ok(url)
    }
}

/// Resolves an upload `Location` (absolute or relative) and adds `digest=`.
pub fn finish_upload(request_url: &Url, location: &str, digest: &str) -> Option<Url> {
    let mut url = request_url.join(location).ok()?;
    url.query_pairs_mut().append_pair("digest", digest);
    Some(url)
}

/// Token-server URL: `realm?service=…&scope=…`.
pub fn token(realm: &str, service: Option<&str>, scopes: &[String]) -> Option<Url> {
    let mut url = Url::parse(realm).ok()?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        for scope in scopes {
            query.append_pair("scope", scope);
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        let local = Endpoint::new("127.0.0.1:5000", true);
        let hub = Endpoint::new("docker.io", false);
        let cases = [
            (
                local.manifest("a/b", "t1").ok(),
                "http://127.0.0.1:5000/v2/a/b/manifests/t1",
            ),
            (
                hub.manifest("starlingx/x", "sha256:00").ok(),
                "https://registry-1.docker.io/v2/starlingx/x/manifests/sha256:00",
            ),
            (
                local.blob("a", "sha256:ab").ok(),
                "http://127.0.0.1:5000/v2/a/blobs/sha256:ab",
            ),
            (
                local.upload("a").ok(),
                "http://127.0.0.1:5000/v2/a/blobs/uploads/",
            ),
            (
                local.mount("a", "sha256:ab", "b/c").ok(),
                "http://127.0.0.1:5000/v2/a/blobs/uploads/?mount=sha256%3Aab&from=b%2Fc",
            ),
            (local.ping().ok(), "http://127.0.0.1:5000/v2/"),
        ];
        for (got, want) in cases {
            assert_eq!(got.map(String::from).as_deref(), Some(want));
        }
    }

    #[test]
    fn finishes_uploads_relative_and_absolute() {
        let base = Url::parse("http://h:1/v2/a/blobs/uploads/").unwrap();
        let rel = finish_upload(&base, "/v2/a/blobs/uploads/u1?_state=x", "sha256:00").unwrap();
        assert_eq!(
            rel.as_str(),
            "http://h:1/v2/a/blobs/uploads/u1?_state=x&digest=sha256%3A00"
        );
        let abs = finish_upload(&base, "http://other:2/up/u2", "sha256:00").unwrap();
        assert_eq!(abs.as_str(), "http://other:2/up/u2?digest=sha256%3A00");
    }

    #[test]
    fn token_url() {
        let scopes = [
            "repository:a/b:pull,push".to_owned(),
            "repository:c:pull".to_owned(),
        ];
        let url = token("https://auth.example/token", Some("reg"), &scopes).unwrap();
        assert_eq!(
            url.as_str(),
            "https://auth.example/token?service=reg&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%3Apull"
        );
    }
}
