//! The registry client: the few OCI distribution / Docker v2 operations tagman needs, each a
//! single request built from the pure URL builders and sent through the one transport.

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use tagman_core::reference::ImageName;
use tagman_net::Limit;

use crate::auth::Access;
use crate::error::{self, Error};
use crate::media;
use crate::transport::{header_str, Request, Transport, TransportConfig};
use crate::urls::{self, Endpoint};

const DIGEST_HEADER: &str = "docker-content-digest";

/// What a HEAD on a manifest told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The manifest digest.
    pub digest: String,
    /// Its media type, when the registry said.
    pub media_type: Option<String>,
}

/// A manifest's exact bytes and what they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The raw bytes, byte for byte as stored.
    pub bytes: Bytes,
    /// The Content-Type it was served with.
    pub media_type: String,
    /// `sha256:` of the bytes (checked against Docker-Content-Digest).
    pub digest: String,
}

/// A registry client over one transport (shared by every task of a run).
#[derive(Debug)]
pub struct Client {
    transport: Transport,
}

impl Client {
    /// A client with the given transport settings.
    pub fn new(config: TransportConfig) -> Result<Self, Error> {
        Ok(Self {
            transport: Transport::new(config)?,
        })
    }

    /// The transport (for its counters).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    fn endpoint(&self, name: &ImageName) -> Endpoint {
        Endpoint::new(name.registry(), self.transport.is_insecure(name.registry()))
    }

    fn request<'a>(
        &self,
        method: Method,
        url: url::Url,
        name: &'a ImageName,
        access: Access,
    ) -> Request<'a> {
        Request {
            method,
            url,
            registry: name.registry(),
            repository: Some(name.repository()),
            access,
            mount_from: None,
            accept: None,
            content_type: None,
            body: None,
            stream: None,
            content_length: None,
            bounded: true,
        }
    }

    /// HEAD a manifest by tag or digest: `None` when the registry does not have it.
    pub async fn head_manifest(
        &self,
        name: &ImageName,
        reference: &str,
        access: Access,
        tries: &mut u32,
    ) -> Result<Option<Head>, Error> {
        let url = self.endpoint(name).manifest(name.repository(), reference)?;
        let mut request = self.request(Method::HEAD, url, name, access);
        request.accept = Some(media::ACCEPT);
        let response = self.transport.send(&request, tries).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => match header_str(&response, DIGEST_HEADER) {
                Some(digest) => Ok(Some(Head {
                    digest,
                    media_type: header_str(&response, CONTENT_TYPE),
                })),
                // A registry that does not say the digest on HEAD: hash the bytes instead.
                None => Ok(self
                    .get_manifest(name, reference, access, tries)
                    .await?
                    .map(|fetched| Head {
                        digest: fetched.digest,
                        media_type: Some(fetched.media_type),
                    })),
            },
            status => Err(fail(status, &request, response).await),
        }
    }

    /// GET a manifest's raw bytes: `None` when the registry does not have it. The bytes are
    /// checked against Docker-Content-Digest, and against the reference when it is a digest.
    pub async fn get_manifest(
        &self,
        name: &ImageName,
        reference: &str,
        access: Access,
        tries: &mut u32,
    ) -> Result<Option<Fetched>, Error> {
        let url = self.endpoint(name).manifest(name.repository(), reference)?;
        let mut request = self.request(Method::GET, url, name, access);
        request.accept = Some(media::ACCEPT);
        let response = self.transport.send(&request, tries).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let announced = header_str(&response, DIGEST_HEADER);
                let content_type = header_str(&response, CONTENT_TYPE);
                let bytes =
                    tagman_net::body::read_body(response, Limit::MANIFEST, "manifest").await?;
                // Without a Content-Type (or a generic one), the manifest's own mediaType says;
                // bytes that are not a manifest of a known type are never pushed.
                let media_type =
                    media::check_manifest(&bytes, content_type.as_deref()).map_err(|problem| {
                        Error::NotAManifest {
                            url: request.url.to_string(),
                            problem,
                        }
                    })?;
                let digest = media::sha256_digest(&bytes);
                let by_digest = reference
                    .starts_with("sha256:")
                    .then(|| reference.to_owned());
                for expected in announced.into_iter().chain(by_digest) {
                    if expected != digest {
                        return Err(Error::DigestMismatch {
                            url: request.url.to_string(),
                            expected,
                            actual: digest,
                        });
                    }
                }
                Ok(Some(Fetched {
                    bytes,
                    media_type,
                    digest,
                }))
            }
            status => Err(fail(status, &request, response).await),
        }
    }

    /// PUT manifest bytes under a tag or digest; returns the digest the registry reports.
    pub async fn put_manifest(
        &self,
        name: &ImageName,
        reference: &str,
        manifest: &Fetched,
        tries: &mut u32,
    ) -> Result<String, Error> {
        let url = self.endpoint(name).manifest(name.repository(), reference)?;
        let mut request = self.request(Method::PUT, url, name, Access::PullPush);
        request.content_type = Some(&manifest.media_type);
        request.body = Some(manifest.bytes.clone());
        let response = self.transport.send(&request, tries).await?;
        // A PUT that a redirect carried to another host was stored there, if anywhere: never
        // report a tag the registry itself did not answer for.
        if response.url().host_str() != request.url.host_str()
            || response.url().port_or_known_default() != request.url.port_or_known_default()
        {
            return Err(Error::WriteRedirected {
                url: request.url.to_string(),
                to: response.url().to_string(),
            });
        }
        if !response.status().is_success() {
            return Err(fail(response.status(), &request, response).await);
        }
        let digest = response
            .headers()
            .get(DIGEST_HEADER)
            .and_then(|v| v.to_str().ok());
        Ok(digest.map_or_else(|| manifest.digest.clone(), str::to_owned))
    }

    /// Whether a blob is in the repository.
    pub async fn blob_exists(
        &self,
        name: &ImageName,
        digest: &str,
        tries: &mut u32,
    ) -> Result<bool, Error> {
        let url = self.endpoint(name).blob(name.repository(), digest)?;
        let request = self.request(Method::HEAD, url, name, Access::PullPush);
        let response = self.transport.send(&request, tries).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(false),
            s if s.is_success() => Ok(true),
            status => Err(fail(status, &request, response).await),
        }
    }

    /// Uploads a blob held in memory (monolithic POST + PUT); returns its digest.
    pub async fn push_blob(
        &self,
        name: &ImageName,
        blob: Bytes,
        tries: &mut u32,
    ) -> Result<String, Error> {
        let digest = media::sha256_digest(&blob);
        let endpoint = self.endpoint(name);
        let request = self.request(
            Method::POST,
            endpoint.upload(name.repository())?,
            name,
            Access::PullPush,
        );
        let response = self.transport.send(&request, tries).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(fail(response.status(), &request, response).await);
        }
        let location =
            header_str(&response, LOCATION).ok_or_else(|| missing(&request, "Location"))?;
        let put_url = urls::finish_upload(&request.url, &location, &digest)
            .ok_or_else(|| missing(&request, "Location"))?;
        let mut put = self.request(Method::PUT, put_url, name, Access::PullPush);
        put.content_type = Some("application/octet-stream");
        put.body = Some(blob);
        let response = self.transport.send(&put, tries).await?;
        if !response.status().is_success() {
            return Err(fail(response.status(), &put, response).await);
        }
        Ok(digest)
    }

    /// Asks the registry to mount a blob from another repository; `false` when it would not.
    pub async fn mount_blob(
        &self,
        name: &ImageName,
        digest: &str,
        from: &str,
        tries: &mut u32,
    ) -> Result<bool, Error> {
        let url = self.endpoint(name).mount(name.repository(), digest, from)?;
        let mut request = self.request(Method::POST, url, name, Access::PullPush);
        request.mount_from = Some(from);
        let response = self.transport.send(&request, tries).await?;
        match response.status() {
            StatusCode::CREATED => Ok(true),
            // The registry opened an ordinary upload instead; it expires unused.
            StatusCode::ACCEPTED => Ok(false),
            status => Err(fail(status, &request, response).await),
        }
    }

    /// Streams a blob from one repository to another (GET → POST → PUT) without holding it in memory.
    pub async fn copy_blob(
        &self,
        from: &ImageName,
        to: &ImageName,
        digest: &str,
        tries: &mut u32,
    ) -> Result<(), Error> {
        let url = self.endpoint(from).blob(from.repository(), digest)?;
        let mut get = self.request(Method::GET, url, from, Access::Pull);
        get.bounded = false;
        let source = self.transport.send(&get, tries).await?;
        if !source.status().is_success() {
            return Err(fail(source.status(), &get, source).await);
        }
        let length = source.content_length();
        let endpoint = self.endpoint(to);
        let post = self.request(
            Method::POST,
            endpoint.upload(to.repository())?,
            to,
            Access::PullPush,
        );
        let response = self.transport.send(&post, tries).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(fail(response.status(), &post, response).await);
        }
        let location = header_str(&response, LOCATION).ok_or_else(|| missing(&post, "Location"))?;
        let put_url = urls::finish_upload(&post.url, &location, digest)
            .ok_or_else(|| missing(&post, "Location"))?;
        let mut put = self.request(Method::PUT, put_url, to, Access::PullPush);
        put.content_type = Some("application/octet-stream");
        put.stream = Some(std::sync::Mutex::new(Some(reqwest::Body::wrap_stream(
            source.bytes_stream(),
        ))));
        put.content_length = length;
        put.bounded = false;
        let response = self.transport.send(&put, tries).await?;
        if !response.status().is_success() {
            return Err(fail(response.status(), &put, response).await);
        }
        Ok(())
    }

    /// GET a blob's bytes (small blobs only: configs, test data; at most the manifest limit).
    pub async fn get_blob(
        &self,
        name: &ImageName,
        digest: &str,
        tries: &mut u32,
    ) -> Result<Bytes, Error> {
        let url = self.endpoint(name).blob(name.repository(), digest)?;
        let request = self.request(Method::GET, url, name, Access::Pull);
        let response = self.transport.send(&request, tries).await?;
        if !response.status().is_success() {
            return Err(fail(response.status(), &request, response).await);
        }
        let bytes = tagman_net::body::read_body(response, Limit::MANIFEST, "blob").await?;
        let actual = media::sha256_digest(&bytes);
        if actual != digest {
            return Err(Error::DigestMismatch {
                url: request.url.to_string(),
                expected: digest.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }
}

fn missing(request: &Request<'_>, header: &'static str) -> Error {
    Error::MissingHeader {
        url: request.url.to_string(),
        header,
    }
}

/// The typed error for a final error status, from at most [`Limit::ERROR_BODY`] of its body.
async fn fail(status: StatusCode, request: &Request<'_>, response: reqwest::Response) -> Error {
    let body = tagman_net::body::read_prefix(response, Limit::ERROR_BODY).await;
    error::from_status(status, request.url.as_str(), request.registry, &body, None)
}
