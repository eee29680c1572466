-- wikilink-lsp for Neovim 0.11+ (vim.lsp.config / vim.lsp.enable).
--
-- Install: copy this file to ~/.config/nvim/lsp/wikilink_lsp.lua (or put
-- editors/neovim on 'runtimepath'), then in init.lua:
--
--   vim.lsp.enable('wikilink_lsp')
--
-- Override anything with vim.lsp.config(), e.g.
--
--   vim.lsp.config('wikilink_lsp', {
--     settings = { wikilink = { diagnostics = { severity = { ['broken-link'] = 'error' } } } },
--   })
--
-- Settings (section `wikilink`, the same names as in every editor and in a
-- workspace's .wikilink.toml, which holds what these leave unset):
--   completion.maxItems     integer  50     most notes offered per completion on a large vault
--   diagnostics.workspace   boolean  true   diagnostics for every note, not only open ones
--   diagnostics.debounceMs  integer  200    delay after typing before diagnostics are refreshed
--   diagnostics.severity    table    {}     code -> 'error'|'warning'|'information'|'hint'|'off'
--                                           ('orphan-note' is off unless set)
--   exclude                 string[] {}     globs (gitignore syntax) not to index
--   referenceFields         string[] {}     frontmatter fields whose values are note ids
--   inlayHints.enabled      boolean  true   a note's title after a link written as a bare id
--   inlayHints.backlinks    boolean  false  a note's backlink count as an inlay hint
--   codeLens.backlinks      boolean  true   a note's backlink count as a code lens
--
-- What this config turns on besides: the backlinks code lens (refreshed as you
-- go; `:lua vim.lsp.codelens.run()` on its line fills the quickfix list with the
-- backlinks), colours for broken and ambiguous links in semantic tokens
-- (@lsp.mod.broken, @lsp.mod.ambiguous). Yours to turn on (see README.md):
-- inlay hints (vim.lsp.inlay_hint.enable()), folding (vim.lsp.foldexpr()),
-- document highlight (vim.lsp.buf.document_highlight() on CursorHold).

---Workspace root of a note: the nearest directory with kb.yaml, lifted to its
---parent while the parent holds kb.yaml itself or in another sub-folder (a vault
---of several KBs, so that links between them resolve); else the nearest .git.
---@param fname string
---@return string?
local function find_root(fname)
  local uv = vim.uv or vim.loop
  local function has_kb(dir)
    return uv.fs_stat(dir .. '/kb.yaml') ~= nil
  end
  local function sibling_kb(parent, except)
    local handle = uv.fs_scandir(parent)
    while handle do
      local name, kind = uv.fs_scandir_next(handle)
      if not name then break end
      local dir = parent .. '/' .. name
      if (kind == 'directory' or kind == 'link') and dir ~= except and has_kb(dir) then return true end
    end
    return false
  end
  local kb = vim.fs.find('kb.yaml', { upward = true, path = vim.fs.dirname(fname), type = 'file' })[1]
  if kb then
    local root = vim.fs.dirname(kb)
    while true do
      local parent = vim.fs.dirname(root)
      if parent == root or not (has_kb(parent) or sibling_kb(parent, root)) then break end
      root = parent
    end
    return root
  end
  local git = vim.fs.find('.git', { upward = true, path = vim.fs.dirname(fname) })[1]
  return git and vim.fs.dirname(git) or nil
end

---The server's `wikilink/status` notification: kept in vim.g.wikilink_status
---(e.g. "Wikilink: 4391 notes · 8 KBs", for a statusline) and announced as
---the autocmd `User WikilinkStatus` (data = { client_id, status }).
local function on_status(_, result, ctx)
  if type(result) ~= 'table' then return end
  local text
  if result.state == 'indexing' then
    text = string.format('Wikilink: indexing %d/%d', result.indexed or 0, result.total or 0)
  else
    text = string.format('Wikilink: %d notes · %d KBs', result.notes or 0, result.kbs or 0)
  end
  vim.g.wikilink_status = text
  -- pcall: `data` needs Neovim 0.8+
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'WikilinkStatus', modeline = false, data = { client_id = ctx.client_id, status = result } })
end

-- Nothing set here: every setting takes the workspace's .wikilink.toml, else
-- the server's default. Set some with vim.lsp.config() (see the top of this
-- file), e.g. { diagnostics = { severity = { ['broken-link'] = 'error' } } }.
local settings = vim.empty_dict()

---The backlinks code lens runs this client-side command with the arguments of
---VS Code's editor.action.showReferences: the note's URI, a position and the
---locations of its backlinks, which go to the quickfix list.
local function show_references(command, ctx)
  local locations = (command.arguments or {})[3] or {}
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  vim.fn.setqflist({}, ' ', { title = 'Backlinks', items = items })
  vim.cmd('botright copen')
end

---Code lenses are asked for on attach and again as the text or other notes change.
local function on_attach(client, bufnr)
  -- broken and ambiguous links stand out unless the colour scheme says otherwise
  vim.api.nvim_set_hl(0, '@lsp.mod.broken', { link = 'DiagnosticError', default = true })
  vim.api.nvim_set_hl(0, '@lsp.mod.ambiguous', { link = 'DiagnosticWarn', default = true })
  if not client.server_capabilities.codeLensProvider then return end
  local function refresh()
    -- 0.10+ takes { bufnr }; older versions refresh the current buffer
    if not pcall(vim.lsp.codelens.refresh, { bufnr = bufnr }) then pcall(vim.lsp.codelens.refresh) end
  end
  refresh()
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
    group = vim.api.nvim_create_augroup('wikilink_lsp_codelens_' .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = refresh,
  })
end

---@type vim.lsp.Config
return {
  cmd = { 'wikilink-lsp' },
  filetypes = { 'markdown' },
  -- root_dir below decides, with these markers: the nearest kb.yaml folder
  -- (lifted to the parent of a vault of several KBs), else the nearest .git.
  -- Plain markers instead: vim.lsp.config('wikilink_lsp', { root_dir =
  --   function(b, on_dir) on_dir(vim.fs.root(b, { '.obsidian', '.git' })) end })
  root_markers = { 'kb.yaml', '.git' },
  root_dir = function(bufnr, on_dir)
    local fname = vim.api.nvim_buf_get_name(bufnr)
    -- no root (a loose file, an unnamed buffer): single-file mode
    on_dir(fname ~= '' and find_root(fname) or nil)
  end,
  -- Answers the server's workspace/configuration requests (section `wikilink`)
  -- and is sent as workspace/didChangeConfiguration after initialize.
  settings = { wikilink = settings },
  -- The server also reads initializationOptions: the contents of the `wikilink`
  -- section. before_init keeps the two equal after vim.lsp.config() overrides.
  init_options = settings,
  before_init = function(params, config)
    local wikilink = config.settings and config.settings.wikilink
    if type(wikilink) == 'table' then params.initializationOptions = wikilink end
    if type(params.initializationOptions) ~= 'table' or vim.tbl_isempty(params.initializationOptions) then
      params.initializationOptions = vim.empty_dict()
    end
  end,
  handlers = {
    -- progress of the server's indexing; also sent as standard $/progress (see :h vim.lsp.status())
    ['wikilink/status'] = on_status,
  },
  commands = { ['wikilink.showReferences'] = show_references },
  on_attach = on_attach,
}
