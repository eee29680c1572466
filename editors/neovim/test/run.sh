#!/usr/bin/env bash
# End-to-end check of wikilink-lsp in headless Neovim (0.7.2 as in Debian bookworm, or newer).
#
#   editors/neovim/test/run.sh SERVER_BIN EXAMPLES_DIR
#
# Opens a note of EXAMPLES_DIR that links to another existing note and checks, through
# Neovim's own LSP client: go to definition, hover, completion after "[[" + 3 letters,
# applying the completion item (line becomes exactly [[target]]), a broken-link diagnostic,
# and a clean shutdown. Nothing is written to disk (checked).
#
# Environment (all optional):
#   NVIM          Neovim binary (default nvim)
#   E2E_FILE      note to open, relative to EXAMPLES_DIR or absolute (default: found at run time)
#   E2E_LINK      link target to test in that note (default: the first that resolves to one note)
#   E2E_PREFIX    letters typed after "[[" (default: the first 3 of the target)
#   E2E_MODE      client (vim.lsp.start_client, default on Neovim < 0.11) or
#                 config (the shipped lsp/wikilink_lsp.lua via vim.lsp.enable, default on 0.11+)
#   E2E_TIMEOUT   overall limit in seconds (default 120)
#   E2E_OUT       where result.json, lsp.log and nvim.stderr go (default a new temp dir)
# Exit: 0 all checks passed, 1 a check failed, 2 setup error, 124 overall timeout.
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 SERVER_BIN EXAMPLES_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
NVIM=${NVIM:-nvim}
server=$1
root=$2
if ! command -v "$NVIM" >/dev/null 2>&1; then
  echo "e2e: setup error: Neovim ($NVIM) not found; install it (apt-get install -y neovim) or set NVIM" >&2
  exit 2
fi
case "$server" in
  */*) [ -x "$server" ] && server=$(realpath "$server") ;;
  *) server=$(command -v "$server" || echo "$server") ;;
esac
if [ ! -x "$server" ]; then
  echo "e2e: setup error: server binary $1 not found or not executable" >&2
  exit 2
fi
if [ ! -d "$root" ]; then
  echo "e2e: setup error: examples dir $root not found" >&2
  exit 2
fi
root=$(realpath "$root")

export E2E_SERVER=$server E2E_ROOT=$root E2E_NVIM_DIR=$(dirname "$here")
keep_out=${E2E_OUT:+1}
export E2E_OUT=${E2E_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/wikilink-nvim-e2e.XXXXXX")}
mkdir -p "$E2E_OUT"

# Neovim sees no user config, plugins, shada or swap files; its LSP log goes to E2E_OUT/xdg.
iso=$E2E_OUT/xdg
mkdir -p "$iso/config" "$iso/data" "$iso/state" "$iso/cache"
export XDG_CONFIG_HOME=$iso/config XDG_DATA_HOME=$iso/data XDG_STATE_HOME=$iso/state XDG_CACHE_HOME=$iso/cache
unset VIMINIT MYVIMRC

# the check must leave every file of the examples untouched
tree_sum() { (cd "$root" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
before=$(tree_sum)

timeout -k 5 "${E2E_TIMEOUT:-120}" "$NVIM" --headless --clean -n -i NONE \
  -c "luafile $here/e2e.lua" -c "cquit 3" </dev/null 2>"$E2E_OUT/nvim.stderr"
rc=$?

if [ "$(tree_sum)" != "$before" ]; then
  echo "e2e: FAIL files under $root changed on disk during the check" >&2
  [ $rc -eq 0 ] && rc=1
fi
case $rc in
  0) ;;
  124 | 137) echo "e2e: FAIL overall timeout (${E2E_TIMEOUT:-120} s); see $E2E_OUT" >&2; rc=124 ;;
  1) echo "e2e: details in $E2E_OUT (result.json, lsp.log, nvim.stderr)" >&2 ;;
  *)
    echo "e2e: setup error (Neovim exited $rc); details in $E2E_OUT" >&2
    if [ -s "$E2E_OUT/nvim.stderr" ]; then head -20 "$E2E_OUT/nvim.stderr" >&2; fi
    rc=2
    ;;
esac
# a passing run leaves nothing behind unless E2E_OUT was asked for
if [ $rc -eq 0 ] && [ -z "$keep_out" ]; then rm -rf "$E2E_OUT"; fi
exit $rc
