-- wrk script for the alarm intake benchmark: POSTs prepared batches (one
-- JSON file each) to the generic alarm endpoint, in turn, and prints one
-- machine-readable result line.
--
--   wrk -t2 -c8 -d20s -s bench/wrk/alarms.lua http://127.0.0.1:8000 -- \
--       token=SECRET bodies=DIR count=50 per_batch=1000

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local bodies = {}
local next_body = 1
local headers = {}
local per_batch = 1000

function init(args)
  local options = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then options[key] = value end
  end
  per_batch = tonumber(options.per_batch or "1000")
  for i = 1, tonumber(options.count) do
    local file = assert(io.open(string.format("%s/batch-%03d.json", options.bodies, i), "r"))
    bodies[i] = file:read("*a")
    file:close()
  end
  -- Threads start at different batches so they do not send the same one at once.
  next_body = (thread_number * 7) % #bodies + 1
  headers["Authorization"] = "Bearer " .. options.token
  headers["Content-Type"] = "application/json"
end

local status_counts = {}

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/api/v1/noc/alarms", headers, body)
end

function response(status, headers, body)
  status_counts[status] = (status_counts[status] or 0) + 1
  if status ~= 202 and (status_counts[status] or 0) <= 3 then
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 300) .. "\n")
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local non2xx = summary.errors.status
  io.write(string.format(
    'NETDESK_RESULT {"requests": %d, "seconds": %.3f, "requests_per_s": %.1f, ' ..
    '"alarms_per_s": %.0f, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, seconds, summary.requests / seconds,
    (summary.requests - non2xx) * per_batch / seconds, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
