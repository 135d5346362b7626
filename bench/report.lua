-- wrk reporter: one JSON line with throughput, latency percentiles and errors.
-- Optional headers come from the environment (BENCH_COOKIE, BENCH_AUTH), so secrets
-- never appear on the command line.
local cookie = os.getenv("BENCH_COOKIE")
local auth = os.getenv("BENCH_AUTH")

init = function(args)
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "rps": %.2f, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
