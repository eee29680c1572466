-- End-to-end check of wikilink-lsp inside a real, headless Neovim.
-- Run it through run.sh, which isolates Neovim from any user config and sets:
--   E2E_SERVER   server binary (required)
--   E2E_ROOT     workspace root, e.g. the examples dir (required)
--   E2E_OUT      directory for result files and the LSP log (required)
-- Optional:
--   E2E_FILE     note to open (absolute or relative to E2E_ROOT)
--   E2E_LINK     link target in that note to test (default: the first plain [[target]] or
--                [[target|alias]] of the body whose note exists under E2E_ROOT, exactly once)
--   E2E_EXPECT_DEF  file the definition must land in (default: the one <target>.md under E2E_ROOT)
--   E2E_PREFIX   typed after "[[" for completion (default: first 3 chars of the target)
--   E2E_BROKEN   target of the broken link added for the diagnostics check
--   E2E_MODE     client: vim.lsp.start_client + buf_attach_client (Neovim 0.7+; default before 0.11)
--                config: the shipped lsp/wikilink_lsp.lua via vim.lsp.enable (0.11+; default there)
--   E2E_NVIM_DIR editors/neovim (for config mode and for the shipped settings)
--   E2E_REQUEST_MS / E2E_INIT_MS / E2E_DIAG_MS / E2E_INDEX_MS  timeouts (10000 / 30000 / 15000 / 30000)
--   E2E_NO_WAIT=1  send the requests right after initialize instead of waiting for the
--                server's `wikilink/status` "ready" (as a user who does not wait would)
-- Exit status: 0 every check passed, 1 a check failed, 2 setup error. The note is never written.

local uv = vim.loop
local function env(k, d)
  local v = os.getenv(k)
  if v == nil or v == '' then return d end
  return v
end
local has = function(f) return vim.fn.has(f) == 1 end
local islist = vim.islist or vim.tbl_islist

local OUT = assert(env('E2E_OUT'), 'E2E_OUT not set')
local T0 = uv.hrtime()
local function ms(t) return math.floor((uv.hrtime() - (t or T0)) / 1e6) end
local results = {}
local failures = {}

local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end
local function pass(step, note)
  table.insert(results, { step = step, ok = true, note = note })
  say(string.format('  ok   %-12s %s', step, note or ''))
end
local function fail(step, note)
  table.insert(results, { step = step, ok = false, note = note })
  table.insert(failures, step .. ': ' .. note)
  say(string.format('  FAIL %-12s %s', step, note))
end

local function finish(code)
  local f = io.open(OUT .. '/result.json', 'w')
  if f then
    f:write(vim.json.encode({ ok = code == 0, exit_code = code, total_ms = ms(), steps = results, failures = failures }))
    f:close()
  end
  pcall(function()
    local lp = vim.lsp.get_log_path()
    if vim.fn.filereadable(lp) == 1 then vim.fn.writefile(vim.fn.readfile(lp), OUT .. '/lsp.log') end
  end)
  vim.cmd('cquit ' .. code)
end

local function realpath(p)
  return uv.fs_realpath(p) or vim.fn.fnamemodify(p, ':p')
end

-- Note and link selection --------------------------------------------------

-- 0-based index of the first body line (after a YAML frontmatter block)
local function body_start(lines)
  if lines[1] ~= '---' then return 0 end
  for i = 2, #lines do
    if lines[i] == '---' or lines[i] == '...' then return i end
  end
  return 0
end

-- Every plain [[target]] / [[target|alias]] / [[target#heading]] of a note's body,
-- outside fenced code: { target, row (0-based), col (0-based byte of the first '[') }
local function links_of(lines)
  local found, fenced = {}, false
  for i = body_start(lines) + 1, #lines do
    local l = lines[i]
    if l:match('^%s*```') or l:match('^%s*~~~') then fenced = not fenced end
    if not fenced then
      local init = 1
      while true do
        local s, e, inner = l:find('%[%[([^%]]-)%]%]', init)
        if not s then break end
        local target = inner:match('^([^|#^]*)')
        -- plain: [[target]] or [[target|alias]], no heading or block part
        local plain = inner == target or inner:sub(1, #target + 1) == target .. '|'
        table.insert(found, { target = vim.trim(target), row = i - 1, col = s - 1, text = l:sub(s, e), plain = plain })
        init = e + 1
      end
    end
  end
  return found
end

local function notes_named(root, target)
  local out = {}
  for _, f in ipairs(vim.fn.globpath(root, '**/' .. target .. '.md', false, true)) do
    table.insert(out, realpath(f))
  end
  return out
end

local function pick(root)
  local want_file, want_link = env('E2E_FILE'), env('E2E_LINK')
  local files
  if want_file then
    if not want_file:match('^/') then want_file = root .. '/' .. want_file end
    files = { realpath(want_file) }
  else
    files = vim.fn.globpath(root, '**/*.md', false, true)
    table.sort(files)
  end
  for _, file in ipairs(files) do
    local lines = vim.fn.readfile(file)
    for _, link in ipairs(links_of(lines)) do
      local t = link.target
      if want_link then
        if t == want_link then
          local defs = notes_named(root, t)
          return realpath(file), link, defs
        end
      elseif link.plain and #t >= 4 and not t:find('[:/\\%s]') then
        local defs = notes_named(root, t)
        if #defs == 1 and defs[1] ~= realpath(file) then return realpath(file), link, defs end
      end
    end
  end
  return nil
end

-- The client -----------------------------------------------------------------

local main_ok, main_err = pcall(function()
  local server = assert(env('E2E_SERVER'), 'E2E_SERVER not set')
  local root = realpath(assert(env('E2E_ROOT'), 'E2E_ROOT not set'))
  local nvim_dir = env('E2E_NVIM_DIR')
  local REQUEST_MS = tonumber(env('E2E_REQUEST_MS', '10000'))
  local INIT_MS = tonumber(env('E2E_INIT_MS', '30000'))
  local DIAG_MS = tonumber(env('E2E_DIAG_MS', '15000'))
  local INDEX_MS = tonumber(env('E2E_INDEX_MS', '30000'))
  local mode = env('E2E_MODE', (vim.lsp.config and vim.lsp.enable) and 'config' or 'client')
  local v = vim.version()
  say(string.format('wikilink-lsp e2e: Neovim %d.%d.%d, mode %s, server %s', v.major, v.minor, v.patch, mode, server))

  local file, link, defs = pick(root)
  if not file then
    say('setup: ' .. (env('E2E_FILE') and (env('E2E_FILE') .. ' has no plain') or ('no note under ' .. root .. ' has a plain')) ..
      ' [[link]] to an existing note' ..
      (env('E2E_LINK') and (' named ' .. env('E2E_LINK')) or '') .. ' (set E2E_FILE / E2E_LINK)')
    return 2
  end
  local expect_def = env('E2E_EXPECT_DEF') and realpath(env('E2E_EXPECT_DEF')) or defs[1]
  if not expect_def then
    say('setup: no file ' .. link.target .. '.md under ' .. root .. ' (set E2E_EXPECT_DEF)')
    return 2
  end
  local prefix = env('E2E_PREFIX', link.target:sub(1, 3))
  say(string.format('note %s, link %s (line %d), expected definition %s',
    file:sub(#root + 2), link.text, link.row + 1, expect_def:sub(#root + 2)))

  vim.lsp.set_log_level(env('E2E_LOG_LEVEL', 'debug'))
  vim.g.wikilink_status = nil
  vim.o.hidden = true
  vim.o.swapfile = false
  local buf, uri
  local function open_note()
    vim.cmd('silent edit ' .. vim.fn.fnameescape(file))
    buf = vim.api.nvim_get_current_buf()
    if vim.bo[buf].filetype ~= 'markdown' then vim.bo[buf].filetype = 'markdown' end
    uri = vim.uri_from_bufnr(buf)
  end

  -- the shipped configuration (settings, initializationOptions, handlers)
  local shipped = {}
  if nvim_dir then
    local ok, cfg = pcall(dofile, nvim_dir .. '/lsp/wikilink_lsp.lua')
    if ok and type(cfg) == 'table' then shipped = cfg else say('warning: cannot load lsp/wikilink_lsp.lua: ' .. tostring(cfg)) end
  end

  local init_result, exited, client_id
  local t_init = uv.hrtime()
  if mode == 'config' then
    if not (vim.lsp.config and vim.lsp.enable and nvim_dir) then
      say('setup: config mode needs Neovim 0.11+ and E2E_NVIM_DIR')
      return 2
    end
    vim.opt.runtimepath:prepend(nvim_dir)
    vim.lsp.config('wikilink_lsp', {
      cmd = { server },
      on_init = function(_, result) init_result = result end,
      on_exit = function(code, signal) exited = { code = code, signal = signal } end,
    })
    vim.lsp.enable('wikilink_lsp')
    open_note() -- its FileType event starts the server through the shipped config
    vim.wait(INIT_MS, function() return #vim.lsp.get_clients({ bufnr = buf, name = 'wikilink_lsp' }) > 0 end, 20)
    local c = vim.lsp.get_clients({ bufnr = buf, name = 'wikilink_lsp' })[1]
    if not c then
      say('setup: vim.lsp.enable did not start wikilink_lsp for ' .. file)
      return 2
    end
    client_id = c.id
  else
    open_note()
    client_id = vim.lsp.start_client({
      name = 'wikilink-lsp',
      cmd = { server },
      cmd_cwd = root,
      root_dir = root,
      settings = shipped.settings,
      init_options = shipped.init_options,
      before_init = shipped.before_init,
      handlers = shipped.handlers,
      on_init = function(_, result) init_result = result end,
      on_exit = function(code, signal) exited = { code = code, signal = signal } end,
    })
    if not client_id then
      say('setup: vim.lsp.start_client failed (is ' .. server .. ' executable?)')
      return 2
    end
    vim.lsp.buf_attach_client(buf, client_id)
  end

  vim.wait(INIT_MS, function() return init_result ~= nil or exited ~= nil end, 20)
  if not init_result then
    say('setup: ' .. (exited and ('the server exited (code ' .. tostring(exited.code) .. ') before answering initialize')
      or ('no initialize response within ' .. INIT_MS .. ' ms')))
    return 2
  end
  local client = vim.lsp.get_client_by_id(client_id)
  local caps = init_result.capabilities or {}
  local info = init_result.serverInfo
  pass('initialize', string.format('%s in %d ms, root %s, position encoding %s',
    info and (info.name .. ' ' .. (info.version or '')) or 'no serverInfo', ms(t_init),
    client.config.root_dir or 'none', client.offset_encoding))
  vim.wait(5000, function() return vim.lsp.buf_is_attached(buf, client_id) end, 10)

  -- wait until the server has indexed the workspace, as a user waits for the status line:
  -- its `wikilink/status` notification, kept in vim.g.wikilink_status by the shipped handler
  if env('E2E_NO_WAIT') ~= '1' then
    local t_index = uv.hrtime()
    local ready = vim.wait(INDEX_MS, function()
      local st = vim.g.wikilink_status
      return type(st) == 'string' and not st:find('indexing', 1, true)
    end, 20)
    if ready then
      pass('indexed', string.format('%q after %d ms', vim.g.wikilink_status, ms(t_index)))
    else
      fail('indexed', string.format('no wikilink/status "ready" within %d ms (last: %s)', INDEX_MS, tostring(vim.g.wikilink_status)))
    end
  end

  local enc = client.offset_encoding
  local function pos(row, bytecol)
    return { line = row, character = vim.lsp.util.character_offset(buf, row, bytecol, enc) }
  end
  local function request(method, params)
    local done, rerr, rres
    local handler = function(err, result) done, rerr, rres = true, err, result end
    local ok, rid
    if has('nvim-0.11') then
      ok, rid = client:request(method, params, handler, buf)
    else
      ok, rid = client.request(method, params, handler, buf)
    end
    if not ok then return nil, 'the client refused the request (server stopped?)' end
    vim.wait(REQUEST_MS, function() return done or exited ~= nil end, 10)
    if not done then
      if rid then pcall(function() if has('nvim-0.11') then client:cancel_request(rid) else client.cancel_request(rid) end end) end
      return nil, exited and 'the server exited' or ('no answer within ' .. REQUEST_MS .. ' ms')
    end
    if rerr then return nil, 'error ' .. tostring(rerr.code) .. ': ' .. tostring(rerr.message) end
    if rres == vim.NIL then rres = nil end
    return rres
  end

  -- 1. definition: F12 on the link lands in the linked note ---------------
  local link_pos = pos(link.row, link.col + 3) -- on the 2nd character of the target
  local tdpp = { textDocument = { uri = uri }, position = link_pos }
  do
    local res, err = request('textDocument/definition', tdpp)
    if err then
      fail('definition', err)
    elseif not res or (islist(res) and #res == 0) then
      fail('definition', 'no location for ' .. link.text)
    else
      local loc = islist(res) and res[1] or res
      local n = islist(res) and #res or 1
      -- jump there the way `gd` / vim.lsp.buf.definition() does
      if vim.lsp.util.show_document then
        vim.lsp.util.show_document(loc, enc, { focus = true })
      else
        vim.lsp.util.jump_to_location(loc, enc)
      end
      local landed = realpath(vim.api.nvim_buf_get_name(0))
      if landed == expect_def then
        pass('definition', string.format('%s -> %s line %d%s', link.text, landed:sub(#root + 2),
          vim.api.nvim_win_get_cursor(0)[1], n > 1 and string.format(' (first of %d locations)', n) or ''))
      else
        fail('definition', string.format('%s landed in %s, expected %s', link.text, landed, expect_def))
      end
      vim.api.nvim_set_current_buf(buf)
    end
  end

  -- 2. hover on the same link ------------------------------------------------
  do
    local res, err = request('textDocument/hover', tdpp)
    local text = ''
    if res and res.contents then
      local lines = vim.lsp.util.convert_input_to_markdown_lines(res.contents)
      text = vim.trim(table.concat(lines, '\n'))
    end
    if err then
      fail('hover', err)
    elseif text == '' then
      fail('hover', 'empty hover on ' .. link.text)
    else
      pass('hover', string.format('%d chars: %q', #text, (text:gsub('%s+', ' ')):sub(1, 60)))
    end
  end

  -- 3. completion: type "[[" + prefix on a new last line ------------------------
  local nlines = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, nlines, nlines, false, { '', '' })
  local crow = nlines + 1
  local function cur_line() return vim.api.nvim_buf_get_lines(buf, crow, crow + 1, false)[1] end
  local function type_text(s)
    for ch in s:gmatch('.') do
      local l = cur_line()
      vim.api.nvim_buf_set_text(buf, crow, #l, crow, #l, { ch })
      vim.wait(10)
    end
  end
  type_text('[[' .. prefix)
  local chosen
  do
    local typed = cur_line()
    local res, err = request('textDocument/completion', {
      textDocument = { uri = uri }, position = pos(crow, #typed), context = { triggerKind = 1 } })
    local items = res and (res.items or (islist(res) and res) or {}) or {}
    local want = link.target:lower()
    local labels = {}
    for i, it in ipairs(items) do
      if i <= 10 then table.insert(labels, it.label) end
      local nt = ((it.textEdit and it.textEdit.newText) or it.insertText or ''):lower()
      local exact = (it.label or ''):lower() == want or (it.filterText or ''):lower() == want
        or nt == want or nt:find('^' .. vim.pesc(want) .. '[%]|]') ~= nil or nt:find('%[%[' .. vim.pesc(want) .. '[%]|]') ~= nil
      if exact and not chosen then chosen = it end
    end
    if err then
      fail('completion', err)
    elseif not chosen then
      fail('completion', string.format('%q not offered after typing %q (%d items%s: %s)', link.target, typed, #items,
        res and res.isIncomplete and ', incomplete' or '', table.concat(labels, ', ')))
    else
      pass('completion', string.format('%q offered after typing %q (%d items%s)', chosen.label, typed, #items,
        res.isIncomplete and ', incomplete' or ''))
    end
  end

  -- 4. apply the chosen item the way nvim-cmp does: textEdit + additionalTextEdits
  if chosen then
    local item = chosen
    if caps.completionProvider and caps.completionProvider.resolveProvider and not item.textEdit then
      local r = request('completionItem/resolve', item)
      if r then item = r end
    end
    local before = cur_line()
    local edits = {}
    if item.textEdit then
      local te = item.textEdit
      table.insert(edits, { range = te.range or te.replace or te.insert, newText = te.newText })
    else
      -- no textEdit: replace the word typed after the last "[["
      local s = before:find('%[%[[^%[]*$')
      table.insert(edits, { range = { start = pos(crow, s + 1), ['end'] = pos(crow, #before) },
        newText = item.insertText or item.label })
    end
    for _, e in ipairs(item.additionalTextEdits or {}) do table.insert(edits, e) end
    local snippet_note = ''
    local snippet_ok = true
    if item.insertTextFormat == 2 then
      local cc = client.config.capabilities or vim.lsp.protocol.make_client_capabilities()
      local ci = cc.textDocument and cc.textDocument.completion and cc.textDocument.completion.completionItem
      snippet_ok = ci and ci.snippetSupport or false
      -- a snippet engine drops tab stops and keeps placeholders' text
      for _, e in ipairs(edits) do
        e.newText = e.newText:gsub('%${%d+:([^}]*)}', '%1'):gsub('%${%d+}', ''):gsub('%$%d+', '')
      end
      snippet_note = ' (snippet)'
    end
    local ok_apply, aerr = pcall(vim.lsp.util.apply_text_edits, edits, buf, enc)
    local after = cur_line()
    local expected = '[[' .. link.target .. ']]'
    if not ok_apply then
      fail('apply', 'apply_text_edits failed: ' .. tostring(aerr))
    elseif not snippet_ok then
      fail('apply', 'the item is a snippet, but this client did not advertise snippetSupport')
    elseif after ~= expected then
      fail('apply', string.format('line %q became %q, expected %q%s', before, after, expected, snippet_note))
    else
      pass('apply', string.format('line %q became %q%s', before, after, snippet_note))
    end
  end

  -- 5. a broken link gets a broken-link diagnostic --------------------------------
  do
    local broken = env('E2E_BROKEN', 'zz-no-such-note')
    local n = vim.api.nvim_buf_line_count(buf)
    local line = 'Broken: [[' .. broken .. ']] end.'
    vim.api.nvim_buf_set_lines(buf, n, n, false, { '', line })
    local brow = n + 1
    local t = uv.hrtime()
    local function code_of(d)
      return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    end
    local function on_line()
      return vim.diagnostic.get(buf, { lnum = brow })
    end
    vim.wait(DIAG_MS, function()
      for _, d in ipairs(on_line()) do if code_of(d) == 'broken-link' then return true end end
      return false
    end, 20)
    local got = on_line()
    local hit
    for _, d in ipairs(got) do if code_of(d) == 'broken-link' then hit = d end end
    if hit then
      pass('diagnostics', string.format('%q after %d ms: [%s] %s', line, ms(t), tostring(hit.code), hit.message))
    elseif #got > 0 then
      fail('diagnostics', string.format('diagnostic on %q has code %s, expected broken-link: %s', line,
        tostring(code_of(got[1])), got[1].message))
    else
      fail('diagnostics', string.format('no diagnostic on %q within %d ms', line, DIAG_MS))
    end
    for _, d in ipairs(vim.diagnostic.get(buf, { lnum = link.row })) do
      say(string.format('  note: the valid link line %d also has a diagnostic: [%s] %s', link.row + 1, tostring(code_of(d)), d.message))
    end
  end

  -- 6. shutdown -------------------------------------------------------------------
  do
    local t = uv.hrtime()
    if has('nvim-0.11') then client:stop() else vim.lsp.stop_client(client_id) end
    local gone = vim.wait(5000, function() return exited ~= nil end, 20)
    if gone then
      pass('shutdown', string.format('exit code %s after %d ms', tostring(exited.code), ms(t)))
    else
      fail('shutdown', 'the server was still running 5 s after shutdown + exit')
      pcall(function() if has('nvim-0.11') then client:stop(true) else vim.lsp.stop_client(client_id, true) end end)
    end
  end

  return #failures == 0 and 0 or 1
end)

if not main_ok then
  say('setup: lua error: ' .. tostring(main_err))
  finish(2)
else
  local code = main_err
  if code == 0 then
    say(string.format('wikilink-lsp e2e: PASS (%d checks, %d ms)', #results, ms()))
  elseif code == 1 then
    say(string.format('wikilink-lsp e2e: FAIL (%d of %d checks failed)', #failures, #results))
  end
  finish(code)
end
