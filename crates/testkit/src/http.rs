//! A minimal HTTP/1.1 stand-in on loopback (Launchpad, StoryBoard): fixed answers by path.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// One canned answer: the request path it answers, the status line's code and reason, the body.
#[derive(Clone, Debug)]
pub struct Route {
    /// Exact request path (`/bugs/1854869`).
    pub path: String,
    /// `200 OK`, `404 Not Found` …
    pub status: String,
    /// The JSON body.
    pub body: String,
}

impl Route {
    /// An answer for `path`.
    pub fn new(path: &str, status: &str, body: &str) -> Self {
        Self {
            path: path.to_owned(),
            status: status.to_owned(),
            body: body.to_owned(),
        }
    }
}

/// Serves `routes` on a free loopback port for at most `limit` connections (any other path is a
/// 404 with `{}`); returns the base URL `http://127.0.0.1:PORT`.
pub fn serve(routes: Vec<Route>, limit: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(clone);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let (status, body) = routes
                .iter()
                .find(|r| r.path == path)
                .map_or(("404 Not Found", "{}"), |r| {
                    (r.status.as_str(), r.body.as_str())
                });
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}
