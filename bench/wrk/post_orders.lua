-- wrk: authenticated POST /orders; prints one JSON line of figures when done.
-- The token and body come from the environment (BENCH_TOKEN, BENCH_BODY), never the command line.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "orders-api-bench/1 (wrk)"
wrk.headers["Authorization"] = os.getenv("BENCH_TOKEN")

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_s":%.6f,"p50_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,' ..
    '"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
