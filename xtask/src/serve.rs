//! A static file server for www/ that sends the same headers a production host would:
//! those listed in `www/_headers` (Netlify / Cloudflare Pages format), plus correct MIME types.

use std::fs;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::util::{Result, root};
use crate::wasm::build;

/// `cargo xtask serve`: builds the wasm (release; `dist` adds wasm-opt) and serves www/ on
/// 127.0.0.1:`port` until the process ends.
pub fn run(port: u16, dist: bool) -> Result {
    build(dist)?;
    let server = Server::start(&root().join("www"), port)?;
    println!("\nServing www/ at {}  (Ctrl-C to stop)", server.url());
    server.join();
    Ok(())
}

/// A running server.
pub struct Server {
    thread: JoinHandle<()>,
    port: u16,
    stopping: Arc<AtomicBool>,
}

/// One `_headers` rule: a path pattern and the headers it adds.
struct Rule {
    pattern: String,
    headers: Vec<(String, String)>,
}

fn parse_headers(text: &str) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            rules.push(Rule {
                pattern: trimmed.to_string(),
                headers: Vec::new(),
            });
        } else if let (Some(rule), Some((name, value))) =
            (rules.last_mut(), trimmed.split_once(':'))
        {
            rule.headers
                .push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    rules
}

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("csv") => "text/csv; charset=utf-8",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a URL path to a file under `root`, refusing anything that leaves it.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let mut file = root.to_path_buf();
    for part in Path::new(path.trim_start_matches('/')).components() {
        match part {
            Component::Normal(p) => file.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// The most a request's head (request line and headers) may take.
const MAX_HEAD: usize = 64 * 1024;

/// How long an idle keep-alive connection is kept (its thread ends then).
const IDLE: Duration = Duration::from_secs(120);

/// One parsed request head: what the server needs of it.
struct RequestHead {
    method: String,
    target: String,
    /// Whether the client asked to close the connection after this response.
    close: bool,
    /// The length of a body to skip (GET and HEAD requests have none in practice).
    body_len: u64,
    /// The `If-None-Match` header: the ETags of a copy the client already has.
    if_none_match: Option<String>,
}

/// Reads the next request head from a connection; `Ok(None)` when the client closed it (or went
/// idle for [`IDLE`]) between requests.
fn read_head(reader: &mut BufReader<TcpStream>) -> io::Result<Option<RequestHead>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = match reader
            .by_ref()
            .take(MAX_HEAD as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(n) => n,
            Err(e) if head.is_empty() && is_timeout(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "request head cut short",
                ))
            };
        }
        // Blank lines before a request line are allowed (RFC 9112, 2.2).
        if head.is_empty() && (line == b"\r\n" || line == b"\n") {
            continue;
        }
        let end = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        if end {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "malformed request line",
        ));
    };
    let mut close = version == "HTTP/1.0";
    let mut body_len = 0;
    let mut if_none_match = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                close = true;
            } else if value.contains("keep-alive") {
                close = false;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            body_len = value
                .parse()
                .map_err(|_| io::Error::new(ErrorKind::InvalidData, "bad Content-Length"))?;
        } else if name.eq_ignore_ascii_case("if-none-match") {
            if_none_match = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Never sent with the GETs a browser makes for static files.
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "request body encoding",
            ));
        }
    }
    Ok(Some(RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        close,
        body_len,
        if_none_match,
    }))
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// The response to one request: the file it names (or 404) and the `_headers` that apply.
fn response(
    request: &RequestHead,
    root: &Path,
    rules: &[Rule],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let path = request.target.split(['?', '#']).next().unwrap_or("/");
    let mut headers = Vec::new();
    let (status, body) = if request.method != "GET" && request.method != "HEAD" {
        headers.push(("Allow".to_string(), "GET, HEAD".to_string()));
        headers.push((
            "Content-Type".to_string(),
            "text/plain; charset=utf-8".to_string(),
        ));
        (405, b"method not allowed".to_vec())
    } else {
        match resolve(root, &request.target).and_then(|f| fs::read(&f).ok().map(|b| (f, b))) {
            Some((file, bytes)) => {
                // An ETag, as static hosts send: a revalidation (`no-cache`) of an unchanged
                // file is a 304 without the body, not a second download.
                let etag = etag(&bytes);
                headers.push(("Content-Type".to_string(), mime(&file).to_string()));
                headers.push(("Cache-Control".to_string(), "no-cache".to_string()));
                headers.push(("ETag".to_string(), etag.clone()));
                let unchanged = request
                    .if_none_match
                    .as_deref()
                    .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
                if unchanged {
                    (304, Vec::new())
                } else {
                    (200, bytes)
                }
            }
            None => {
                headers.push((
                    "Content-Type".to_string(),
                    "text/plain; charset=utf-8".to_string(),
                ));
                (404, b"not found".to_vec())
            }
        }
    };
    for rule in rules.iter().filter(|r| matches(&r.pattern, path)) {
        for (name, value) in &rule.headers {
            // A malformed line (only possible from a bad `_headers` file) is left out.
            if valid_header(name, value) {
                headers.push((name.clone(), value.clone()));
            }
        }
    }
    (status, headers, body)
}

/// A strong ETag for a file's content: the first 16 bytes of its SHA-256, in hex.
fn etag(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

fn valid_header(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "",
    }
}

/// Serves one connection, request after request (HTTP/1.1 keep-alive), on its own thread: a
/// connection that stays open, as browsers keep theirs, never holds up another one.
fn serve_connection(stream: TcpStream, root: &Path, rules: &[Rule]) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_head(&mut reader) {
            Ok(Some(request)) => request,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                let body = format!("bad request: {e}");
                write!(
                    writer,
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        io::copy(&mut reader.by_ref().take(request.body_len), &mut io::sink())?;
        let (status, headers, body) = response(&request, root, rules);
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if status != 304 {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str(if request.close {
            "Connection: close\r\n\r\n"
        } else {
            "Connection: keep-alive\r\n\r\n"
        });
        writer.write_all(head.as_bytes())?;
        if request.method != "HEAD" {
            writer.write_all(&body)?;
        }
        writer.flush()?;
        if request.close {
            return Ok(());
        }
    }
}

impl Server {
    /// Serves `root` on 127.0.0.1:`port` (0: any free port) from a background thread, one
    /// thread per connection.
    pub fn start(root: &Path, port: u16) -> Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
        let port = listener.local_addr()?.port();
        let rules = Arc::new(parse_headers(
            &fs::read_to_string(root.join("_headers")).unwrap_or_default(),
        ));
        let root = Arc::new(root.to_path_buf());
        let stopping = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stopping);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else {
                    // Out of file descriptors, say: wait for connections to end, do not spin.
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                let root = Arc::clone(&root);
                let rules = Arc::clone(&rules);
                // A client that hung up is not the server's problem.
                std::thread::spawn(move || serve_connection(stream, &root, &rules));
            }
        });
        Ok(Server {
            thread,
            port,
            stopping,
        })
    }

    /// The base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Serves until the process ends.
    pub fn join(self) {
        let _ = self.thread.join();
    }

    /// Stops accepting connections (the open ones end with their clients).
    pub fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_file_rules_apply_by_pattern() {
        let rules = parse_headers(
            "/*\n  X-A: 1\n  Content-Security-Policy: default-src 'none'\n/pkg/*\n  X-B: 2\n",
        );
        assert_eq!(rules.len(), 2);
        assert!(matches(&rules[0].pattern, "/index.html"));
        assert!(!matches(&rules[1].pattern, "/index.html"));
        assert_eq!(
            rules[0].headers[1],
            (
                "Content-Security-Policy".into(),
                "default-src 'none'".into()
            )
        );
    }

    /// Chromium opens six connections to a host at once and keeps each alive after its first
    /// response; a fresh page's module requests ride on them. Every connection of such a burst
    /// must be answered while the others stay open, or a module request (and so the page's
    /// first load) hangs.
    #[test]
    fn every_connection_of_a_burst_is_answered_while_the_others_stay_open() {
        use std::io::{Read, Write};
        use std::net::TcpStream;
        use std::time::Duration;

        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let server = Server::start(root, 0).unwrap();
        let addr = format!("127.0.0.1:{}", server.port);
        let mut unanswered = 0;
        for _round in 0..20 {
            let burst: Vec<_> = (0..12)
                .map(|_| {
                    let addr = addr.clone();
                    std::thread::spawn(move || -> (Option<TcpStream>, bool) {
                        let Ok(mut stream) = TcpStream::connect(&addr) else {
                            return (None, false);
                        };
                        let request = "GET /Cargo.toml HTTP/1.1\r\nHost: localhost\r\n\
                                       Connection: keep-alive\r\n\r\n";
                        if stream.write_all(request.as_bytes()).is_err() {
                            return (Some(stream), false);
                        }
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                        let mut head = [0u8; 12];
                        let answered = stream.read_exact(&mut head).is_ok()
                            && head.starts_with(b"HTTP/1.1 200");
                        (Some(stream), answered)
                    })
                })
                .collect();
            // Join every thread before any stream closes: the open ones stay open meanwhile.
            let results: Vec<_> = burst.into_iter().map(|t| t.join().unwrap()).collect();
            unanswered += results.iter().filter(|(_, answered)| !answered).count();
        }
        server.stop();
        assert_eq!(
            unanswered, 0,
            "connections never answered in 20 bursts of 12"
        );
    }

    /// Two requests on one kept-alive connection, as a browser sends them: the file with its
    /// type and the `_headers` lines, then a 404; HEAD without a body; `Connection: close` ends it.
    #[test]
    fn answers_requests_in_turn_on_one_connection() {
        use std::io::{Read, Write};
        use std::net::TcpStream;

        let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
        let server = Server::start(&www, 0).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream
            .write_all(
                b"GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\n\r\n\
                  GET /missing.js HTTP/1.1\r\nHost: a\r\n\r\n\
                  HEAD /sw.js HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        server.stop();
        let text = String::from_utf8_lossy(&all);
        let index = fs::read_to_string(www.join("index.html")).unwrap();
        let first = text.split("\r\n\r\n").next().unwrap();
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        assert!(first.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(first.contains("X-Content-Type-Options: nosniff\r\n"));
        assert!(first.contains("Content-Security-Policy: default-src 'none';"));
        assert!(first.contains(&format!("Content-Length: {}\r\n", index.len())));
        let rest = &text[first.len() + 4 + index.len()..];
        assert!(rest.starts_with("HTTP/1.1 404 Not Found\r\n"), "{rest}");
        let head = &rest[rest.find("not found").unwrap() + "not found".len()..];
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Type: text/javascript; charset=utf-8\r\n"));
        assert!(head.contains("Connection: close\r\n"));
        assert!(head.ends_with("\r\n\r\n"), "HEAD sends no body");
    }

    /// A revalidation of an unchanged file (its ETag in `If-None-Match`) is a 304 without a body;
    /// another ETag gets the file.
    #[test]
    fn an_unchanged_file_is_revalidated_without_its_body() {
        use std::io::{Read, Write};
        use std::net::TcpStream;

        let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
        let tag = etag(&fs::read(www.join("sw.js")).unwrap());
        let server = Server::start(&www, 0).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let requests = format!(
            "GET /sw.js HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"other\", {tag}\r\n\r\n\
             GET /sw.js HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"other\"\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(requests.as_bytes()).unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        server.stop();
        let text = String::from_utf8_lossy(&all);
        let (first, rest) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            first.starts_with("HTTP/1.1 304 Not Modified\r\n"),
            "{first}"
        );
        assert!(first.contains(&format!("ETag: {tag}\r\n")), "{first}");
        assert!(!first.contains("Content-Length"), "{first}");
        assert!(
            rest.starts_with("HTTP/1.1 200 OK\r\n"),
            "no body after the 304: {rest}"
        );
        assert!(rest.contains(&format!("ETag: {tag}\r\n")));
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve(root, "/../Cargo.toml").is_none());
        assert!(resolve(root, "/Cargo.toml").is_some());
    }
}
