//! A static file server for www/ that sends the same headers a production host would:
//! those listed in `www/_headers` (Netlify / Cloudflare Pages format), plus correct MIME types.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Response, StatusCode};

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
    server: Arc<tiny_http::Server>,
    thread: JoinHandle<()>,
    port: u16,
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

trait AddHeader {
    fn add_header_opt(&mut self, header: Option<Header>);
}

impl<R: std::io::Read> AddHeader for Response<R> {
    fn add_header_opt(&mut self, header: Option<Header>) {
        if let Some(h) = header {
            self.add_header(h);
        }
    }
}

/// Answers one request with the file it names (or 404) and the `_headers` that apply.
fn respond(request: tiny_http::Request, root: &Path, rules: &[Rule]) {
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("/").to_string();
    let mut response = match resolve(root, &url).and_then(|f| fs::read(&f).ok().map(|b| (f, b))) {
        Some((file, bytes)) => {
            let mut r = Response::from_data(bytes);
            r.add_header_opt(header("Content-Type", mime(&file)));
            r.add_header_opt(header("Cache-Control", "no-cache"));
            r
        }
        None => {
            let mut r =
                Response::from_data(b"not found".to_vec()).with_status_code(StatusCode(404));
            r.add_header_opt(header("Content-Type", "text/plain; charset=utf-8"));
            r
        }
    };
    for rule in rules.iter().filter(|r| matches(&r.pattern, &path)) {
        for (name, value) in &rule.headers {
            response.add_header_opt(header(name, value));
        }
    }
    // A client that hung up is not the server's problem.
    let _ = request.respond(response);
}

impl Server {
    /// Serves `root` on 127.0.0.1:`port` (0: any free port) from a background thread.
    pub fn start(root: &Path, port: u16) -> Result<Server> {
        let server = Arc::new(
            tiny_http::Server::http(("127.0.0.1", port))
                .map_err(|e| format!("cannot listen on port {port}: {e}"))?,
        );
        let port = server.server_addr().to_ip().map_or(port, |a| a.port());
        let rules = parse_headers(&fs::read_to_string(root.join("_headers")).unwrap_or_default());
        let root = root.to_path_buf();
        let worker = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            let rules = Arc::new(rules);
            for request in worker.incoming_requests() {
                // One thread per request: a client that reads a large file slowly (or not at
                // all) must not hold up every other request behind it.
                let root = root.clone();
                let rules = Arc::clone(&rules);
                std::thread::spawn(move || respond(request, &root, &rules));
            }
        });
        Ok(Server {
            server,
            thread,
            port,
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

    /// Stops serving.
    pub fn stop(self) {
        self.server.unblock();
        let _ = self.thread.join();
    }
}

/// A header line; a malformed one (only possible from a bad `_headers` file) is left out.
fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
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

    #[test]
    fn paths_cannot_leave_the_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve(root, "/../Cargo.toml").is_none());
        assert!(resolve(root, "/Cargo.toml").is_some());
    }
}
