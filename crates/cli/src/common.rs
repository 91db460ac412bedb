//! What every provider shares: building the request from the command line, signing it
//! without sending (`headers`), sending it through auth-core's middleware (`send`), and
//! turning errors into one line and an exit code.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use auth_core::credentials::EnvVar;
use auth_core::{AuthError, AuthMiddleware, Signer};
use clap::Args;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// Exit code for a 2xx response (and for `token` / `headers` success).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code for an HTTP response outside 2xx.
pub(crate) const EXIT_HTTP: u8 = 1;
/// Exit code for configuration, credential, token or network errors (no usable response).
pub(crate) const EXIT_CONFIG: u8 = 2;

/// An error the command reports as one line on stderr before exiting with `code`.
#[derive(Debug)]
pub(crate) struct CliError {
    /// The exit code.
    pub code: u8,
    /// The one-line message (never contains a secret).
    pub message: String,
}

impl CliError {
    /// A configuration error (exit 2).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_CONFIG,
            message: one_line(&message.into()),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Maps the field names the provider crates use in their errors (`secret`, `client_key`…)
/// onto the environment variables the CLI read them from, so the error names what the user
/// must fix.
#[derive(Debug, Default, Clone)]
pub(crate) struct FieldMap(Vec<(&'static str, &'static str)>);

impl FieldMap {
    /// A map from `(crate field, environment variable)` pairs.
    pub(crate) fn new(pairs: &[(&'static str, &'static str)]) -> Self {
        FieldMap(pairs.to_vec())
    }

    fn name(&self, field: &'static str) -> &'static str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, env)| *env)
            .unwrap_or(field)
    }

    /// The one-line, secret-free report of `err` (exit 2).
    pub(crate) fn error(&self, err: &AuthError) -> CliError {
        let mut line = format!("{}: ", err.kind());
        if let Some(field) = err.field() {
            line.push_str(self.name(field));
            line.push_str(": ");
        }
        line.push_str(err.message());
        if let Some(code) = err.provider_code() {
            line.push_str(&format!(" (provider code {code})"));
        }
        CliError::config(line)
    }
}

/// The request options shared by `headers` and `send`.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// HTTP method (default GET, or POST when --data-file is given, like curl).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Read the request body from this file ('-' reads standard input). Providers that sign
    /// the body (SNAP) sign exactly these bytes (SNAP minifies JSON first).
    #[arg(long, value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Extra request header 'Name: value' (repeatable). Signed headers set here are kept
    /// where the provider allows it (SNAP's X-EXTERNAL-ID, X-PARTNER-ID, CHANNEL-ID).
    #[arg(short = 'H', long = "header", value_name = "'Name: value'")]
    pub headers: Vec<String>,
    /// The request URL; one starting with '/' is relative to the provider's base URL
    /// variable (SNAP_BASE_URL, V5_BASE_URL, HOLIDU_BASE_URL, GTR_BASE_URL).
    pub url: String,
}

impl RequestArgs {
    /// Builds the unsigned request (`base` resolves URLs starting with '/').
    pub(crate) fn build(&self, base: Option<&str>) -> Result<reqwest::Request, CliError> {
        let body = match &self.data_file {
            None => None,
            Some(p) if p.as_os_str() == "-" => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .map_err(|e| CliError::config(format!("--data-file -: {e}")))?;
                Some(buf)
            }
            Some(p) => Some(std::fs::read(p).map_err(|e| {
                CliError::config(format!("--data-file {}: {}", p.display(), e.kind()))
            })?),
        };
        let method = match &self.method {
            Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| CliError::config("-X: not a valid HTTP method"))?,
            None if body.is_some() => Method::POST,
            None => Method::GET,
        };
        let full = match (self.url.starts_with('/'), base) {
            (true, Some(base)) => format!("{}{}", base.trim_end_matches('/'), self.url),
            (true, None) => {
                return Err(CliError::config(
                    "URL: a relative URL needs the provider's base URL variable; give a full URL",
                ));
            }
            (false, _) => self.url.clone(),
        };
        let url = url::Url::parse(&full)
            .map_err(|e| CliError::config(format!("URL: not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CliError::config("URL: must be an http or https URL"));
        }
        let mut req = reqwest::Request::new(method, url);
        for h in &self.headers {
            let (name, value) = parse_header(h)?;
            req.headers_mut().append(name, value);
        }
        if let Some(body) = body {
            *req.body_mut() = Some(reqwest::Body::from(body));
        }
        Ok(req)
    }
}

fn parse_header(h: &str) -> Result<(HeaderName, HeaderValue), CliError> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| CliError::config("-H: expected 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| CliError::config("-H: invalid header name"))?;
    // The value is not echoed: it may be a credential.
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| CliError::config(format!("-H {name}: invalid header value")))?;
    Ok((name, value))
}

/// Signs `req` in place with `signer` (nothing is sent) and returns the headers the signer
/// added or changed, in the order of the request's header map.
pub(crate) async fn signed_headers<S: Signer>(
    signer: &S,
    req: &mut reqwest::Request,
    fields: &FieldMap,
) -> Result<Vec<(HeaderName, HeaderValue)>, CliError> {
    let before: HeaderMap = req.headers().clone();
    signer.sign(req).await.map_err(|e| fields.error(&e))?;
    let mut out = Vec::new();
    for (name, value) in req.headers() {
        let unchanged = before.get_all(name).iter().any(|v| v == value);
        if !unchanged {
            out.push((name.clone(), value.clone()));
        }
    }
    Ok(out)
}

/// `headers`: prints the auth headers, one `Name: value` per line. When the signer changed
/// the body (SNAP minifies JSON), says so on stderr and prints the signed body there.
pub(crate) async fn print_headers<S: Signer>(
    signer: &S,
    args: &RequestArgs,
    base: Option<&str>,
    fields: &FieldMap,
) -> Result<u8, CliError> {
    let mut req = args.build(base)?;
    let original = req.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
    let headers = signed_headers(signer, &mut req, fields).await?;
    let mut out = String::new();
    for (name, value) in &headers {
        out.push_str(&header_line(name, value));
        out.push('\n');
    }
    print!("{out}");
    let signed = req.body().and_then(|b| b.as_bytes());
    if let (Some(orig), Some(signed)) = (&original, signed)
        && orig.as_slice() != signed
    {
        eprintln!(
            "note: the signature covers the minified body; send exactly these {} bytes:",
            signed.len()
        );
        eprintln!("{}", String::from_utf8_lossy(signed));
    }
    Ok(EXIT_OK)
}

/// A header as `Name: value` (canonical capitalisation of the name for readability; HTTP
/// header names are case-insensitive).
pub(crate) fn header_line(name: &HeaderName, value: &HeaderValue) -> String {
    let name = name
        .as_str()
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-");
    format!("{name}: {}", String::from_utf8_lossy(value.as_bytes()))
}

/// `send`: signs and sends through auth-core's middleware (so a rejected token is refreshed
/// and the request retried once, exactly as the SDK does). The body goes to stdout, the
/// status line to stderr.
pub(crate) async fn send<S: Signer>(
    signer: S,
    client: reqwest::Client,
    args: &RequestArgs,
    base: Option<&str>,
    fields: &FieldMap,
) -> Result<u8, CliError> {
    let req = args.build(base)?;
    let client = reqwest_middleware::ClientBuilder::new(client)
        .with(AuthMiddleware::new(signer))
        .build();
    let resp = client.execute(req).await.map_err(|e| {
        match AuthError::from_middleware(&e) {
            Some(auth) => fields.error(auth),
            // Transport errors: reqwest's text names the URL and the cause, no credentials.
            None => CliError::config(format!("request failed: {}", error_chain(&e))),
        }
    })?;
    let status = resp.status();
    let version = resp.version();
    let body = resp
        .bytes()
        .await
        .map_err(|e| CliError::config(format!("reading the response failed: {e}")))?;
    eprintln!(
        "{version:?} {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&body)
        .and_then(|()| {
            if !body.ends_with(b"\n") && !body.is_empty() {
                stdout.write_all(b"\n")?;
            }
            stdout.flush()
        })
        .map_err(|e| CliError::config(format!("writing the response failed: {e}")))?;
    Ok(if status.is_success() {
        EXIT_OK
    } else {
        EXIT_HTTP
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Reads an optional environment variable as the provider crates do (unset or blank →
/// `None`), with errors naming the variable.
pub(crate) fn env_opt(name: &'static str) -> Result<Option<String>, CliError> {
    auth_core::credentials::env_var_opt(name).map_err(|e| FieldMap::default().error(&e))
}

/// The environment as a provider's `from_lookup` reads it: the library's own names first,
/// then the names earlier versions of this command read in their place (`aliases`, pairs of
/// library name and old name), so both keep working. Remembers which old names it used, so
/// that errors name the variable the user actually set.
#[derive(Debug)]
pub(crate) struct Env {
    aliases: &'static [(&'static str, &'static str)],
    used: std::sync::Mutex<Vec<(&'static str, &'static str)>>,
}

impl Env {
    /// Reads through `aliases` (`(library name, old name)`).
    pub(crate) fn new(aliases: &'static [(&'static str, &'static str)]) -> Self {
        Env {
            aliases,
            used: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The value of `name`, or of the first old name standing in for it.
    pub(crate) fn lookup(&self, name: &'static str) -> Result<Option<String>, AuthError> {
        if let Some(v) = auth_core::credentials::env_var_opt(name)? {
            return Ok(Some(v));
        }
        for (new, old) in self.aliases.iter().filter(|(new, _)| *new == name) {
            if let Some(v) = auth_core::credentials::env_var_opt(old)? {
                self.used
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((new, old));
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// The variable the user set for the library name `name`.
    pub(crate) fn name(&self, name: &'static str) -> &'static str {
        self.used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(new, _)| *new == name)
            .map_or(name, |(_, old)| *old)
    }

    /// `fields` with each variable renamed to the one the user set.
    pub(crate) fn fields(&self, fields: &[(&'static str, &'static str)]) -> FieldMap {
        FieldMap(fields.iter().map(|(f, v)| (*f, self.name(v))).collect())
    }
}

/// The `--help` text of a provider: the library's variables (its `ENV_VARS`, the names the
/// command reads), the command's own settings, and the old names still read.
pub(crate) fn env_help(
    title: &str,
    library: &[EnvVar],
    own: &[EnvVar],
    aliases: &[(&str, &str)],
) -> String {
    let width = library
        .iter()
        .chain(own)
        .map(|v| v.name.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("Environment ({title}), as the library reads it:\n");
    for v in library {
        out.push_str(&format!("  {:<width$}  {}\n", v.name, v.help));
    }
    if !own.is_empty() {
        out.push_str("Settings of this command:\n");
        for v in own {
            out.push_str(&format!("  {:<width$}  {}\n", v.name, v.help));
        }
    }
    if !aliases.is_empty() {
        out.push_str("Still read in place of the names above, as before:\n");
        for (new, old) in aliases {
            out.push_str(&format!("  {old} (= {new})\n"));
        }
    }
    out.trim_end().to_string()
}

/// Reads a required environment variable, with errors naming the variable.
pub(crate) fn env_req(name: &'static str) -> Result<String, CliError> {
    auth_core::credentials::env_var(name).map_err(|e| FieldMap::default().error(&e))
}

/// What `tollgate <provider> token|headers|send` needs from a provider, so that one function
/// runs every action for all five.
pub(crate) trait CliProvider {
    /// The SDK signer.
    type Signer: Signer + Clone;

    /// The signer the middleware uses.
    fn signer(&self) -> &Self::Signer;

    /// The base URL relative request URLs are resolved against, if any.
    fn base_url(&self) -> Option<&str>;

    /// Crate field → environment variable, for error messages.
    fn fields(&self) -> &FieldMap;

    /// The client API requests go through, when the provider needs its own (mutual TLS);
    /// otherwise the CLI's client is used.
    fn http(&self) -> Option<reqwest::Client> {
        None
    }

    /// The token the SDK would send, for `tollgate <provider> token`.
    fn token(&self) -> impl std::future::Future<Output = Result<String, CliError>>;
}

/// A bearer provider as the command runs it — DragonPass, V5 and Holidu: its
/// [`BearerAuth`](auth_core::BearerAuth), the base URL relative request URLs are resolved
/// against, and how its errors are named. One [`CliProvider`] impl serves all three.
pub(crate) struct Bearer<S: auth_core::TokenSource> {
    /// The SDK's auth.
    pub auth: auth_core::BearerAuth<S>,
    /// The base URL, if the provider has one.
    pub base_url: Option<String>,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

impl<S: auth_core::TokenSource> CliProvider for Bearer<S> {
    type Signer = auth_core::BearerSigner<S>;

    fn signer(&self) -> &Self::Signer {
        self.auth.signer()
    }

    fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    fn fields(&self) -> &FieldMap {
        &self.fields
    }

    /// The bearer token the SDK would send (minted locally or fetched).
    async fn token(&self) -> Result<String, CliError> {
        use auth_core::ExposeSecret;
        let token = self.auth.token().await.map_err(|e| self.fields.error(&e))?;
        Ok(token.secret().expose_secret().to_string())
    }
}
