-- wrk script: GET one fixed path with an API token, and one result line in
-- the format of netdesk.lua (requests/s, p50/p90/p99, non-2xx).
--
--   wrk -t1 -c1 -d10s -s bench/wrk/path.lua http://127.0.0.1:8000 -- \
--       token=SECRET path=/api/v1/tickets?order=due

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local request_text

function init(args)
  local options = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then
      options[key] = value
    end
  end
  non2xx = 0
  first_error = ""
  local headers = { ["Accept"] = "application/json", ["Authorization"] = "Bearer " .. options.token }
  request_text = wrk.format("GET", options.path, headers)
end

function request()
  return request_text
end

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
    if sample == "" then
      sample = thread:get("first_error") or ""
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
