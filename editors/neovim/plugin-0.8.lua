-- wikilink-lsp for Neovim 0.8 - 0.10 (vim.lsp.start in a FileType autocmd).
-- On Neovim 0.11+ prefer lsp/wikilink_lsp.lua with vim.lsp.enable('wikilink_lsp').
--
-- Install: copy this file to ~/.config/nvim/plugin/wikilink-lsp.lua (it runs at
-- startup), or `dofile()` it from init.lua. Optional configuration, set before it
-- runs (plain data only):
--
--   vim.g.wikilink_lsp = {
--     cmd = { '/path/to/wikilink-lsp' },            -- default { 'wikilink-lsp' }
--     settings = { wikilink = {                      -- section `wikilink`
--       diagnostics = { severity = { ['broken-link'] = 'error' } },
--       exclude = { 'templates/' },
--     } },
--   }
--
-- Keymaps and completion: use the LspAttach autocmd (see README.md).

if vim.g.loaded_wikilink_lsp then return end
vim.g.loaded_wikilink_lsp = true

if vim.fn.has('nvim-0.8') == 0 then
  vim.notify('wikilink-lsp: this setup needs Neovim 0.8 or newer (vim.lsp.start)', vim.log.levels.WARN)
  return
end

local uv = vim.uv or vim.loop

-- No settings by default: the workspace's .wikilink.toml, else the server's defaults.
local defaults = {
  cmd = { 'wikilink-lsp' },
  settings = { wikilink = {} },
}

---The backlinks code lens's client-side command: its locations go to the quickfix list.
local function show_references(command, ctx)
  local locations = (command.arguments or {})[3] or {}
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local items = vim.lsp.util.locations_to_items(locations, client and client.offset_encoding or 'utf-16')
  vim.fn.setqflist({}, ' ', { title = 'Backlinks', items = items })
  vim.cmd('botright copen')
end

---Code lenses (the backlink count; `:lua vim.lsp.codelens.run()` on its line) are asked
---for on attach and again as the text changes.
local function on_attach(client, bufnr)
  if not client.server_capabilities.codeLensProvider then return end
  local function refresh()
    if not pcall(vim.lsp.codelens.refresh, { bufnr = bufnr }) then pcall(vim.lsp.codelens.refresh) end
  end
  refresh()
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
    group = vim.api.nvim_create_augroup('wikilink_lsp_codelens_' .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = refresh,
  })
end

---Workspace root of a note: the nearest directory with kb.yaml, lifted to its
---parent while the parent holds kb.yaml itself or in another sub-folder (a vault
---of several KBs, so that links between them resolve); else the nearest .git.
local function find_root(fname)
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
  local start = vim.fs.dirname(fname)
  local kb = vim.fs.find('kb.yaml', { upward = true, path = start, type = 'file' })[1]
  if kb then
    local root = vim.fs.dirname(kb)
    while true do
      local parent = vim.fs.dirname(root)
      if parent == root or not (has_kb(parent) or sibling_kb(parent, root)) then break end
      root = parent
    end
    return root
  end
  local git = vim.fs.find('.git', { upward = true, path = start })[1]
  return git and vim.fs.dirname(git) or nil
end

---The server's `wikilink/status` notification: kept in vim.g.wikilink_status
---(for a statusline) and announced as the autocmd `User WikilinkStatus`.
local function on_status(_, result, ctx)
  if type(result) ~= 'table' then return end
  if result.state == 'indexing' then
    vim.g.wikilink_status = string.format('Wikilink: indexing %d/%d', result.indexed or 0, result.total or 0)
  else
    vim.g.wikilink_status = string.format('Wikilink: %d notes · %d KBs', result.notes or 0, result.kbs or 0)
  end
  -- pcall: `data` needs Neovim 0.8+
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'WikilinkStatus', modeline = false, data = { client_id = ctx.client_id, status = result } })
end

local function start(bufnr)
  -- only real files: LSP hover/signature windows are 'nofile' buffers of filetype markdown
  if vim.bo[bufnr].buftype ~= '' then return end
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == '' then return end
  local opts = vim.tbl_deep_extend('force', defaults, vim.g.wikilink_lsp or {})
  local wikilink = opts.settings.wikilink
  if vim.tbl_isempty(wikilink) then wikilink = vim.empty_dict() end
  local config = {
    name = 'wikilink-lsp',
    cmd = opts.cmd,
    root_dir = find_root(fname),
    settings = { wikilink = wikilink },
    init_options = wikilink,
    handlers = { ['wikilink/status'] = on_status },
    commands = { ['wikilink.showReferences'] = show_references },
    on_attach = on_attach,
  }
  -- 0.8's vim.lsp.start attaches the current buffer; 0.9+ also takes opts.bufnr
  vim.api.nvim_buf_call(bufnr, function()
    vim.lsp.start(config, { bufnr = bufnr })
  end)
end

vim.api.nvim_create_autocmd('FileType', {
  group = vim.api.nvim_create_augroup('wikilink_lsp', { clear = true }),
  pattern = 'markdown',
  desc = 'start or attach wikilink-lsp',
  callback = function(args) start(args.buf) end,
})
