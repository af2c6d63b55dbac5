//! Sarah's browser in the `--http` wiring: plain HTTP requests without
//! automatic redirects, one cookie jar per origin (Acme's authority and the
//! Google stand-in both run on 127.0.0.1, on different ports, and stand for
//! different sites), and the hidden fields of the pages it is shown.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::Mutex;

/// One answer of a server.
#[derive(Debug)]
pub(crate) struct Page {
    /// Where the server sends the browser next (`Location`), made absolute.
    pub(crate) location: Option<String>,
    /// The HTML the server rendered.
    pub(crate) body: String,
}

impl Page {
    /// The value of the hidden form field `name`.
    pub(crate) fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let rest = self.body.get(start..)?;
        Some(rest.get(..rest.find('"')?)?.to_owned())
    }

    /// Where the server sends the browser next, or an error naming `what`.
    pub(crate) fn redirect(&self, what: &str) -> Result<&str, Box<dyn Error>> {
        self.location
            .as_deref()
            .ok_or_else(|| format!("{what}: no redirect").into())
    }
}

/// A browser: its cookies, per origin.
#[derive(Debug)]
pub(crate) struct Browser {
    http: reqwest::Client,
    jar: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Browser {
    /// A browser with no cookies.
    pub(crate) fn new() -> Result<Self, Box<dyn Error>> {
        Ok(Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            jar: Mutex::new(BTreeMap::new()),
        })
    }

    /// `GET url`.
    pub(crate) async fn get(&self, url: &str) -> Result<Page, Box<dyn Error>> {
        let parsed = url::Url::parse(url)?;
        let request = self.http.get(url);
        self.send(&parsed, request).await
    }

    /// `POST url` with the form `form`.
    pub(crate) async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<Page, Box<dyn Error>> {
        let parsed = url::Url::parse(url)?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(&parsed, request).await
    }

    async fn send(
        &self,
        url: &url::Url,
        request: reqwest::RequestBuilder,
    ) -> Result<Page, Box<dyn Error>> {
        let origin = url.origin().ascii_serialization();
        let cookies = self.cookies(&origin)?;
        let response = request.header("cookie", cookies).send().await?;
        self.keep(&origin, &response)?;
        let location = match response.headers().get("location") {
            Some(v) => Some(url.join(v.to_str()?)?.to_string()),
            None => None,
        };
        let status = response.status();
        let body = response.text().await?;
        if status.is_client_error() || status.is_server_error() {
            return Err(format!("{url} answered {status}").into());
        }
        Ok(Page { location, body })
    }

    fn cookies(&self, origin: &str) -> Result<String, Box<dyn Error>> {
        let jar = self.jar.lock().map_err(|_| "the cookie jar is poisoned")?;
        Ok(jar
            .get(origin)
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default())
    }

    fn keep(&self, origin: &str, response: &reqwest::Response) -> Result<(), Box<dyn Error>> {
        let mut jar = self.jar.lock().map_err(|_| "the cookie jar is poisoned")?;
        let site = jar.entry(origin.to_owned()).or_default();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str()?;
            let pair = text.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if value.is_empty() || text.contains("Max-Age=0") {
                site.remove(name.trim());
            } else {
                site.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        Ok(())
    }
}
