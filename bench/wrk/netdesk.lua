-- wrk script for NetDesk's load benchmark: one scenario per run, chosen by the
-- arguments after `--` (key=value), and one machine-readable result line.
--
--   wrk -t2 -c16 -d20s -s bench/wrk/netdesk.lua http://127.0.0.1:8000 -- \
--       scenario=detail token=SECRET tickets=1:1000000
--
-- Scenarios: create, queue_api, queue_html, detail, search.
-- Arguments: token (API), cookie and group (queue pages), customers=LOW:HIGH
-- (create), tickets=LOW:HIGH (detail), terms=FILE (search, one term a line).

local threads = {}
local counter = 0

function setup(thread)
  -- Each thread gets its own seed so threads do not replay the same ids.
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local function parse_args(args)
  local options = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      options[key] = value
    end
  end
  return options
end

local function range(text)
  local low, high = text:match("^(%d+):(%d+)$")
  return tonumber(low), tonumber(high)
end

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(ch)
    return string.format("%%%02X", string.byte(ch))
  end))
end

local build -- function() returning the next request string

function init(args)
  local options = parse_args(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  non2xx = 0
  first_error = ""
  local headers = { ["Accept"] = "application/json" }
  if options.token then
    headers["Authorization"] = "Bearer " .. options.token
  end
  if options.cookie then
    headers["Cookie"] = options.cookie
    headers["Accept"] = "text/html"
  end
  local scenario = options.scenario
  if scenario == "create" then
    local low, high = range(options.customers)
    headers["Content-Type"] = "application/json"
    build = function()
      local body = string.format(
        '{"customer_id": %d, "ticket_type": "fault", "channel": "phone", '
          .. '"title": "No internet since this morning", '
          .. '"description": "Router shows red DSL light; customer restarted it twice."}',
        math.random(low, high)
      )
      return wrk.format("POST", "/api/v1/tickets", headers, body)
    end
  elseif scenario == "queue_api" then
    local path = "/api/v1/tickets?group=" .. options.group .. "&open=true&order=priority&limit=50"
    build = function()
      return wrk.format("GET", path, headers)
    end
  elseif scenario == "queue_html" then
    local path = "/?group=" .. options.group
    build = function()
      return wrk.format("GET", path, headers)
    end
  elseif scenario == "detail" then
    local low, high = range(options.tickets)
    build = function()
      return wrk.format("GET", string.format("/api/v1/tickets/TT-%06d", math.random(low, high)), headers)
    end
  elseif scenario == "search" then
    local terms = {}
    for line in io.lines(options.terms) do
      if #line > 0 then
        table.insert(terms, "/api/v1/customers?q=" .. urlencode(line))
      end
    end
    build = function()
      return wrk.format("GET", terms[math.random(1, #terms)], headers)
    end
  else
    error("unknown scenario " .. tostring(scenario))
  end
end

function request()
  return build()
end

-- wrk itself only counts status >= 400 as errors; a redirect to the login
-- page would pass unnoticed, so every non-2xx answer is counted here.
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(ch)
    return string.format("\\u%04x", string.byte(ch))
  end) .. '"'
end

function done(summary, latency, requests)
  local non2xx_total = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
    local error_text = thread:get("first_error") or ""
    if sample == "" then
      sample = error_text
    end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'NETDESK_RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, '
      .. '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, '
      .. '"non2xx": %d, "socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"first_error": %s}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    non2xx_total, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, json_string(sample)
  ))
end
