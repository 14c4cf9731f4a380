-- wrk script of `manage.py benchmark --http` (windowsvc/benchhttp.py).
-- Takes the requests in turn from the file named by WRK_REQUESTS, one per line: METHOD<TAB>PATH<TAB>BODY
-- (BODY may be empty). WRK_UNIQUE_HEADER, when set, names a header given a fresh value on every request
-- (the intake's Idempotency-Key). Prints one JSON line: counts, latency percentiles in ms, and the
-- answers that were not the expected status (WRK_EXPECT, default 200), with the first of them.

local lines = {}
local n = 0
local unique = os.getenv("WRK_UNIQUE_HEADER") or ""
local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
local threads = {}

unexpected = 0
first_unexpected = ""

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    if method then
      table.insert(lines, { method, path, body })
    end
  end
  math.randomseed(os.time() + (thread_id or 0))
  prefix = string.format("%d-%d-%d", os.time(), thread_id or 0, math.random(1, 1000000000))
end

function request()
  n = n + 1
  local r = lines[(n - 1) % #lines + 1]
  -- wrk.format takes these headers instead of the -H ones: copy those in.
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  if unique ~= "" then
    headers[unique] = prefix .. "-" .. n
  end
  local body = r[3]
  if body == "" then
    body = nil
  end
  return wrk.format(r[1], r[2], headers, body)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function quoted(text)
  return '"' .. text:gsub('[%c"\\]', " ") .. '"'
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if first == "" then
      first = thread:get("first_unexpected")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "unexpected": %d, "first_unexpected": %s, '
      .. '"p50": %.3f, "p95": %.3f, "p99": %.3f, "max": %.3f, "mean": %.3f}\n',
    summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, bad, quoted(first),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000
  ))
end
