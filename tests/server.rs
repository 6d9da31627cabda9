//! Starts `tinybird/local` (the Tinybird-compatible server on real ClickHouse) for a test binary.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use atel_sdk::TinybirdClient;

/// How long a cold start may take: the first run creates the venv and chDB loads ClickHouse.
const START_TIMEOUT: Duration = Duration::from_mins(5);

/// A running `tinybird/local` with its own data dir; stopped (SIGTERM, then kill) on drop.
///
/// The server watches its standard input (`--stop-on-stdin-eof`): should the test process die without
/// dropping this, the pipe closes and the server stops by itself.
#[derive(Debug)]
pub struct LocalServer {
    child: Child,
    _stdin: Option<ChildStdin>,
    /// The server's base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// Its workspace admin token.
    pub token: String,
    _data_dir: tempfile::TempDir,
}

impl LocalServer {
    /// Starts a server on a free port with a fresh data dir and waits until it serves.
    ///
    /// # Panics
    /// When the server does not start: tests cannot run without it.
    pub fn start() -> Self {
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let port = free_port();
        let mut child = Command::new(repo_root().join("tinybird/local/run"))
            .args([
                "--stop-on-stdin-eof",
                "--port",
                &port.to_string(),
                "--data-dir",
            ])
            .arg(data_dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tinybird/local/run");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("server stdout");
        let (mut url, mut token) = (None, None);
        let started = Instant::now();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("server stdout line");
            if let Some(value) = line.strip_prefix("url: ") {
                url = Some(value.trim().to_owned());
            } else if let Some(value) = line.strip_prefix("token: ") {
                token = Some(value.trim().to_owned());
            }
            if url.is_some() && token.is_some() {
                break;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "tinybird/local did not start in time"
            );
        }
        let (Some(url), Some(token)) = (url, token) else {
            let _ = child.kill();
            panic!("tinybird/local exited before printing its url and token");
        };
        Self {
            child,
            _stdin: stdin,
            url,
            token,
            _data_dir: data_dir,
        }
    }

    /// A client for this server, with the default retry policy and timeouts.
    ///
    /// # Panics
    /// When the client cannot be built from the server's url and token.
    pub fn client(&self) -> TinybirdClient {
        TinybirdClient::builder()
            .base_url(&self.url)
            .token(&self.token)
            .build()
            .expect("client for tinybird/local")
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}
