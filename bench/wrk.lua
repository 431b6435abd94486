-- wrk script for `make bench`: prints one machine-readable summary line at the end, and, when
-- BENCH_POST_BODY is set, sends the expression of interest form as a POST with a new
-- submission_key on every request (so each POST creates a row, as a real submission does).

local post_body = os.getenv("BENCH_POST_BODY")
local csrf_cookie = os.getenv("BENCH_CSRF_COOKIE")
local nonce = tonumber(os.getenv("BENCH_NONCE") or "0")

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

local counter = 0

if post_body then
  function request()
    counter = counter + 1
    -- Unique per run (nonce), per wrk thread and per request: a valid UUID for the form.
    local key = string.format("%08x-%04x-4000-8000-%012x", nonce, thread_id, counter)
    local body = post_body .. "&submission_key=" .. key
    return wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = csrf_cookie,
    }, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "status_errors": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
