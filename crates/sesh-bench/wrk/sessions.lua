-- wrk script for scripts/bench-http.sh.
--
--   wrk -t2 -c32 -d5s -s sessions.lua http://127.0.0.1:PORT/read -- COOKIES_FILE
--
-- COOKIES_FILE holds one `name=value` cookie per line; each request sends
-- the next one (each thread starts at a different place in the list). With
-- no file, requests carry no cookie but still go through request(), so the
-- client does the same work per request in every run.
--
-- At the end it prints one line for the driver to parse:
--   RESULT requests=N seconds=S rps=R p50_us=A p99_us=B errors=E status_errors=F

local cookies = {}
local position = 1
local headers = {}

local threads_started = 0

function setup(thread)
  thread:set("thread_index", threads_started)
  threads_started = threads_started + 1
end

function init(args)
  local file = args[1]
  if file ~= nil and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then
        cookies[#cookies + 1] = line
      end
    end
  end
  if #cookies > 0 then
    position = ((thread_index or 0) * 499) % #cookies + 1
  end
end

function request()
  if #cookies > 0 then
    headers["Cookie"] = cookies[position]
    position = position % #cookies + 1
  end
  return wrk.format(nil, nil, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d errors=%d status_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), errors, e.status))
end
