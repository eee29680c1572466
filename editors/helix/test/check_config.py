#!/usr/bin/env python3
"""Check editors/helix/languages.toml against wikilink-lsp the way Helix would use it.

    python3 editors/helix/test/check_config.py SERVER_BIN EXAMPLES_DIR

Helix itself is not needed (nor installed on CI). This script:
1. parses languages.toml (Python 3.11+ tomllib) and checks its shape against Helix's format:
   the [language-server.wikilink-lsp] table, and a markdown [[language]] entry whose
   `language-servers` uses only feature names Helix knows;
2. starts the server with that `command` and `args` and plays Helix's part of the protocol:
   `config` is sent as initializationOptions, and a workspace/configuration request for a
   section is answered by walking `config` along the section's dotted path (null when absent),
   as helix-term does;
3. with a severity override added to the config (broken-link = "error"), opens a note with a
   broken link and checks that the published diagnostic has severity Error: the settings
   reached the server and were not reset by the workspace/configuration answer.

Exit 0 when all checks pass, 1 otherwise. HELIX_LANGUAGES_TOML=path checks another file.
"""
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
# helix-core LanguageServerFeature, kebab-case (Helix 23.10 .. 25.x)
HELIX_FEATURES = {
    "format", "goto-declaration", "goto-definition", "goto-type-definition", "goto-reference",
    "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
    "code-action", "workspace-command", "document-symbols", "workspace-symbols", "diagnostics",
    "rename-symbol", "inlay-hints",
}
failures = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def shape(doc):
    server = doc.get("language-server", {}).get("wikilink-lsp")
    check(isinstance(server, dict) and isinstance(server.get("command"), str),
          "[language-server.wikilink-lsp] has a command")
    check(isinstance(server.get("args", []), list), "args is a list")
    check(isinstance(server.get("config", {}), dict), "config is a table")
    langs = [lang for lang in doc.get("language", []) if lang.get("name") == "markdown"]
    check(len(langs) == 1, "exactly one [[language]] entry named markdown")
    names = []
    for entry in langs[0].get("language-servers", []) if langs else []:
        if isinstance(entry, str):
            names.append(entry)
            continue
        names.append(entry.get("name"))
        keys = set(entry) - {"name"}
        check(keys <= {"only-features", "except-features"} and len(keys) <= 1,
              f"{entry.get('name')}: at most one of only-features / except-features")
        for key in keys:
            unknown = set(entry[key]) - HELIX_FEATURES
            check(not unknown, f"{entry.get('name')}: {key} names only Helix features"
                  + (f" (unknown: {sorted(unknown)})" if unknown else ""))
    check(names[:1] == ["wikilink-lsp"], f"wikilink-lsp is first in language-servers ({names})")
    return server


class Client:
    def __init__(self, argv, config, cwd):
        self.config = config
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.devnull, "w"), cwd=cwd)
        self.next_id = 0
        self.responses = {}
        self.notifications = []
        self.config_answers = []
        self.lock = threading.Condition()
        threading.Thread(target=self.reader, daemon=True).start()

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def reader(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.decode().strip()
                if not line:
                    break
                key, value = line.split(":", 1)
                headers[key.lower()] = value.strip()
            msg = json.loads(out.read(int(headers["content-length"])))
            if "method" in msg and "id" in msg:
                self.server_request(msg)
            with self.lock:
                if "method" not in msg:
                    self.responses[msg["id"]] = msg
                elif "id" not in msg:
                    self.notifications.append(msg)
                self.lock.notify_all()

    def server_request(self, msg):
        result = None
        if msg["method"] == "workspace/configuration":
            # helix-term: walk `config` along the section's dotted path, null when missing
            result = []
            for item in msg["params"]["items"]:
                value = self.config
                for part in (item.get("section") or "").split("."):
                    if part == "":
                        continue
                    value = value.get(part) if isinstance(value, dict) else None
                result.append(value)
            self.config_answers.append(result)
        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def request(self, method, params, timeout=10):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.lock:
            self.lock.wait_for(lambda: rid in self.responses, timeout)
            return self.responses.get(rid)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, pred, timeout):
        with self.lock:
            return self.lock.wait_for(lambda: any(pred(n) for n in self.notifications), timeout)


def run_server(server, root):
    config = json.loads(json.dumps(server.get("config", {})))
    # the override to observe (as a user would add it)
    section = config.get("wikilink", config)
    section.setdefault("diagnostics", {})["severity"] = {"broken-link": "error"}
    argv = [server["command"], *server.get("args", [])]
    client = Client(argv, config, root)
    root_uri = root.as_uri()
    init = client.request("initialize", {
        "processId": os.getpid(), "rootUri": root_uri, "rootPath": str(root),
        "workspaceFolders": [{"uri": root_uri, "name": root.name}],
        "initializationOptions": config,
        "capabilities": {
            "workspace": {"configuration": True, "workspaceFolders": True,
                          "didChangeConfiguration": {"dynamicRegistration": False}},
            "textDocument": {"publishDiagnostics": {}, "completion": {"completionItem": {"snippetSupport": True}}},
            "window": {"workDoneProgress": True},
            "general": {"positionEncodings": ["utf-8", "utf-32", "utf-16"]},
        },
        "clientInfo": {"name": "helix", "version": "simulated"},
    }, timeout=30)
    if not check(init is not None and "result" in init, f"initialize answered ({' '.join(argv)})"):
        return client
    client.notify("initialized", {})
    # Helix sends workspace/didChangeConfiguration with the whole config after initialize
    client.notify("workspace/didChangeConfiguration", {"settings": config})
    note = next(p for p in sorted(root.rglob("*.md")))
    text = note.read_text() + "\nBroken: [[zz-no-such-note]] end.\n"
    uri = note.as_uri()
    broken_line = text.count("\n") - 1
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "markdown", "version": 1, "text": text}})

    def flagged(n):
        return (n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri
                and any(d.get("code") == "broken-link" and d["range"]["start"]["line"] == broken_line
                        for d in n["params"]["diagnostics"]))
    check(client.wait_for(flagged, 15), "broken-link diagnostic published for the opened note")
    time.sleep(1.0)  # let any re-publish after the configuration answers arrive
    with client.lock:
        last = [n for n in client.notifications if flagged(n)][-1:] if client.notifications else []
    sev = [d.get("severity") for n in last for d in n["params"]["diagnostics"]
           if d.get("code") == "broken-link" and d["range"]["start"]["line"] == broken_line]
    check(sev == [1], f"config's severity override applied: broken-link has severity {sev} (1 = Error)")
    print(f"       workspace/configuration answers: {json.dumps(client.config_answers)[:160]}")
    return client


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    server_bin, root = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
    toml_path = pathlib.Path(os.environ.get("HELIX_LANGUAGES_TOML", HERE.parent / "languages.toml"))
    doc = tomllib.loads(toml_path.read_text())
    print("helix languages.toml:")
    server = shape(doc)
    server = dict(server, command=os.path.abspath(server_bin) if os.sep in server_bin else server_bin)
    print("against the server, as Helix would drive it:")
    client = run_server(server, root)
    try:
        client.request("shutdown", None, timeout=5)
        client.notify("exit", None)
        client.proc.wait(timeout=5)
    except Exception:
        client.proc.kill()
    print("helix config check: " + ("PASS" if not failures else f"FAIL ({len(failures)} failed)"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
