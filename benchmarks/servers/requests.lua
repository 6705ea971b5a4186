-- wrk script of the real-server benchmark (wrk is closed-loop: each connection sends its
-- next request when the previous response has arrived).
--
-- Arguments (after "--"): id prefix, output folder, phase ("warmup" or "load"), path.
-- Every request carries a unique X-Request-ID "<prefix>-<thread>-<counter>" and an
-- X-Bench-Phase header. Each wrk thread has its own Lua state: it writes the request ids of
-- its 2xx responses (echoed back by RequestContextMiddleware) to ids-<thread>.txt, one per
-- line. done() writes the latency distribution and counters to summary.json.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  prefix, folder, phase, path = args[1], args[2], args[3], args[4]
  counter = 0
  recorded = 0
  ids = io.open(folder .. "/ids-" .. thread_number .. ".txt", "w")
  ids:setvbuf("line")
end

function request()
  counter = counter + 1
  local headers = {}
  headers["X-Request-ID"] = prefix .. "-" .. thread_number .. "-" .. counter
  headers["X-Bench-Phase"] = phase
  return wrk.format("GET", path, headers)
end

local function echoed_id(headers)
  local id = headers["X-Request-ID"]
  if id then return id end
  for name, value in pairs(headers) do
    if string.lower(name) == "x-request-id" then return value end
  end
  return nil
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    local id = echoed_id(headers)
    if id then
      ids:write(id, "\n")
      recorded = recorded + 1
    end
  end
end

function done(summary, latency, requests)
  -- done() runs in wrk's main Lua state, where init() never ran: ask a thread for the folder.
  local out = io.open(threads[1]:get("folder") .. "/summary.json", "w")
  local sent, recorded_total = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("counter") or 0)
    recorded_total = recorded_total + (thread:get("recorded") or 0)
  end
  local errors = summary.errors
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "sent": %d, "recorded": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, '
    .. '"p99.9": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, sent, recorded_total,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
  out:close()
end
