-- wrk script for `make bench`: prints one machine-readable summary line at the end; when
-- BENCH_POST_BODY is set, sends the expression of interest form as a POST with a new
-- submission_key on every request (so each POST creates a row, as a real submission does);
-- when BENCH_DELAY_MS is set, paces its requests (below).

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

-- BENCH_CACHE_MISS: every request misses the public page cache, to show what building the page
-- costs. A query string no longer does that (the cache keys a page by the parameters its view
-- understands, so unknown ones get the kept page), so each request carries a `messages` cookie,
-- new every time: a visitor with a message waiting always gets a page built for them, and
-- nothing is kept for them (involvement/page_cache.py).
local cache_miss = os.getenv("BENCH_CACHE_MISS")
if cache_miss and not post_body then
  function request()
    counter = counter + 1
    local cookie = string.format("messages=%s-%d-%d", cache_miss, thread_id, counter)
    return wrk.format("GET", wrk.path, {["Cookie"] = cookie})
  end
end

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

-- Paced load (BENCH_DELAY_MS): each connection waits this long after a response before its
-- next request, so the connections together send at a chosen rate, evenly spread, instead of
-- as fast as the server answers. Each connection's first wait is a random part of its period
-- (BENCH_PERIOD_MS), so the connections start out of step and stay spread over the period;
-- after that every wait is the same. (wrk calls delay() once per request, in the thread that
-- owns the connection, and each of the thread's connections calls it first before its first
-- request: those first calls are the first BENCH_CONNECTIONS_PER_THREAD.) wrk waits whole
-- milliseconds, so each wait is rounded up or down at random to keep the mean.
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms then
  local period_ms = tonumber(os.getenv("BENCH_PERIOD_MS") or "0")
  local per_thread = tonumber(os.getenv("BENCH_CONNECTIONS_PER_THREAD") or "0")
  local calls = 0

  function init(args)
    -- Each thread its own sequence (thread_id is set by setup() before init runs).
    math.randomseed(os.time() * 100 + thread_id)
  end

  function delay()
    calls = calls + 1
    local wait = delay_ms
    if calls <= per_thread then
      wait = period_ms * math.random()
    end
    return math.floor(wait + math.random())
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
