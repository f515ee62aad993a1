//! Small downloads (signing keys) over HTTP(S), with timeouts, the proxy environment honoured, and
//! a size cap. Large artifacts go through the downloader, which resumes and hashes as it streams.

use std::io::Read;
use std::time::Duration;

use super::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {limit} bytes, more than such a file ever is")]
    TooLarge { url: String, limit: u64 },
}

impl FetchError {
    pub fn help(&self) -> Option<String> {
        match self {
            FetchError::Unreachable { .. } => Some(
                "check the network, the --mirror URL, and https_proxy if this host needs a proxy"
                    .into(),
            ),
            FetchError::Status { status: 404, .. } => Some(
                "the mirror does not have this file: is it laid out like download.docker.com?"
                    .into(),
            ),
            _ => None,
        }
    }
}

pub struct Fetcher {
    client: reqwest::blocking::Client,
}

impl Fetcher {
    /// Without `proxy`, the proxy environment variables apply (as for curl).
    pub fn new(proxy: Option<&str>) -> Result<Fetcher, FetchError> {
        let setup = |why: String| FetchError::Unreachable {
            url: String::new(),
            why,
        };
        let mut builder = reqwest::blocking::Client::builder();
        if let Some(p) = proxy {
            builder = builder.proxy(reqwest::Proxy::all(p).map_err(|e| setup(e.to_string()))?);
        }
        let client = builder
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("dockup/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Fetcher { client })
    }

    /// GETs `url` whole, refusing anything over `limit` bytes.
    pub fn get_small(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let unreachable = |e: reqwest::Error| FetchError::Unreachable {
            url: url.to_string(),
            why: error_chain(&e),
        };
        let response = self.client.get(url).send().map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        response
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Unreachable {
                url: url.to_string(),
                why: e.to_string(),
            })?;
        if body.len() as u64 > limit {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        Ok(body)
    }
}
