//! A tiny LSP client for end-to-end tests: starts the built `wikilink-lsp` binary and speaks
//! JSON-RPC with real `Content-Length` framing over its stdin/stdout. Requests from the server
//! (`workspace/configuration`, `window/workDoneProgress/create`, `client/registerCapability`)
//! are answered automatically; notifications are kept so tests can wait for them.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub mod invariants;

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Every notification received so far, in order.
    pub notifications: Vec<Value>,
    /// Every request the server sent, in order.
    pub server_requests: Vec<Value>,
    /// What `workspace/configuration` answers for the `wikilink` section.
    pub settings: Value,
    /// The server's log (stderr), line by line, as read so far.
    log: Arc<Mutex<Vec<String>>>,
    /// Responses that arrived while waiting for another one.
    early_responses: Vec<Value>,
}

impl Client {
    pub fn start() -> Client {
        Client::start_with_env(&[])
    }

    pub fn start_with_env(env: &[(&str, &str)]) -> Client {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"));
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the wikilink-lsp binary starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_lines = log.clone();
        let echo = std::env::var_os("WIKILINK_E2E_STDERR").is_some();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if echo {
                    eprintln!("{line}");
                }
                log_lines.lock().unwrap().push(line);
            }
        });
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
            notifications: Vec::new(),
            server_requests: Vec::new(),
            settings: Value::Null,
            log,
            early_responses: Vec::new(),
        }
    }

    /// The server's log lines so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits for a log line containing `needle` and returns it.
    pub fn wait_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(line) = self.log().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?} within {TIMEOUT:?}; the log:\n{}",
                self.log().join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends several messages in one write, as a client that batches its output does (the
    /// server sees them all at once).
    pub fn send_all(&mut self, messages: &[Value]) {
        let mut bytes = Vec::new();
        for message in messages {
            let body = serde_json::to_string(message).unwrap();
            write!(bytes, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        }
        self.stdin.write_all(&bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and returns the whole response message (`result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait_response(id)
    }

    /// Sends a request and returns its `result`, panicking on an error reply.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response["result"].clone()
    }

    /// Whether the answer to request `id` arrived already (while waiting for another one).
    pub fn has_response(&self, id: i64) -> bool {
        self.early_responses.iter().any(|r| r["id"] == json!(id))
    }

    pub fn wait_response(&mut self, id: i64) -> Value {
        if let Some(i) = self
            .early_responses
            .iter()
            .position(|r| r["id"] == json!(id))
        {
            return self.early_responses.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self
                .receive(deadline)
                .unwrap_or_else(|| panic!("no response to request {id}"));
            if message.get("method").is_none() {
                if message["id"] == json!(id) {
                    return message;
                }
                // Another request's answer: keep it for whoever waits for it.
                self.early_responses.push(message);
            }
        }
    }

    /// Waits for a notification `method` whose params satisfy `matches`, looking first at
    /// those already received (and consuming the one returned).
    pub fn wait_notification(&mut self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| n["method"] == method && matches(&n["params"]))
        {
            return self.notifications.remove(i)["params"].clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.receive(deadline) {
                Some(_) => {
                    if let Some(i) = self
                        .notifications
                        .iter()
                        .position(|n| n["method"] == method && matches(&n["params"]))
                    {
                        return self.notifications.remove(i)["params"].clone();
                    }
                }
                None => panic!(
                    "no {method} notification matched within {TIMEOUT:?}; got {:#?}",
                    self.notifications
                ),
            }
        }
    }

    /// Waits until the server has sent a request `method` (answered like the others).
    pub fn wait_server_request(&mut self, method: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(request) = self.server_requests.iter().find(|r| r["method"] == method) {
                return request.clone();
            }
            if self.receive(deadline).is_none() {
                panic!(
                    "no {method} request within {TIMEOUT:?}; got {:#?}",
                    self.server_requests
                );
            }
        }
    }

    /// Waits for the diagnostics of `uri` that satisfy `matches`.
    pub fn wait_diagnostics(
        &mut self,
        uri: &str,
        matches: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let params = self.wait_notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && matches(p["diagnostics"].as_array().map_or(&[][..], Vec::as_slice))
        });
        params["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Receives one message; answers server requests and stores notifications. Returns the
    /// message, or `None` at the deadline.
    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let message = match self.incoming.recv_timeout(timeout) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        };
        match (message.get("method"), message.get("id")) {
            (Some(method), Some(id)) => {
                let result = match method.as_str() {
                    Some("workspace/configuration") => json!([self.settings.clone()]),
                    Some("workspace/applyEdit") => json!({"applied": true}),
                    _ => Value::Null,
                };
                let id = id.clone();
                self.server_requests.push(message.clone());
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
            }
            (Some(_), None) => self.notifications.push(message.clone()),
            _ => {}
        }
        Some(message)
    }

    /// `initialize` + `initialized` with `capabilities`, rooted at `root`.
    pub fn initialize(&mut self, root: &Path, capabilities: Value) -> Value {
        let uri = file_uri(root);
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "root"}],
                "capabilities": capabilities,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// Waits until indexing has finished (the `wikilink/status` ready notification).
    pub fn wait_indexed(&mut self) -> Value {
        self.wait_notification("wikilink/status", |p| p["state"] == "ready")
    }

    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = file_uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        );
        uri
    }

    /// `shutdown` then `exit`; returns the process exit status.
    pub fn shutdown_and_exit(mut self) -> Option<i32> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}));
        let response = self.wait_response(id);
        assert!(
            response.get("error").is_none(),
            "shutdown failed: {response}"
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
        self.wait_exit()
    }

    pub fn wait_exit(mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("the server did not exit");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn file_uri(path: &Path) -> String {
    tower_lsp_free_uri(path)
}

/// `file://` URI of an absolute path (percent-encoding what needs it).
fn tower_lsp_free_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_str().expect("test paths are UTF-8").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// A server started, initialized at `root` with `capabilities`, and done indexing.
pub fn started(root: &Path, capabilities: Value) -> Client {
    let mut client = Client::start();
    client.initialize(root, capabilities);
    client.wait_indexed();
    client
}

/// An LSP position.
pub fn position(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

/// The UTF-16 position of the first `needle` in `text`, plus `skip` characters.
pub fn position_of(text: &str, needle: &str, skip: usize) -> Value {
    let at = text.find(needle).expect("the needle is in the text");
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    let column = text[line_start..at].encode_utf16().count() + skip;
    json!({"line": line, "character": column})
}

/// Writes `files` (path relative to the root, text) into a fresh temporary folder.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

/// Capabilities of a modern client (UTF-16 only unless `utf8`), like VS Code's.
pub fn capabilities(utf8: bool) -> Value {
    let encodings = if utf8 {
        json!(["utf-8", "utf-16"])
    } else {
        json!(["utf-16"])
    };
    json!({
        "general": {"positionEncodings": encodings},
        "window": {"workDoneProgress": true},
        "workspace": {
            "configuration": true,
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}
        },
        "textDocument": {
            "definition": {"linkSupport": true},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "completion": {"completionItem": {"snippetSupport": false}}
        }
    })
}
