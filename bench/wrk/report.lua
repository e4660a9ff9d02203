-- wrk script for the bench/ scripts.
--
--   wrk -s bench/wrk/report.lua URL                 GET URL
--   wrk -s bench/wrk/report.lua URL -- BODY_FILE    POST the file as application/json
--
-- At the end it prints one line, "RESULT {...}", for the calling script to parse: request
-- count, duration, errors, and latency percentiles from wrk's own histogram, in microseconds.

function init(args)
  if args[1] then
    local f = assert(io.open(args[1], "rb"))
    wrk.method = "POST"
    wrk.body = f:read("*a")
    wrk.headers["Content-Type"] = "application/json"
    f:close()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max
  ))
end
