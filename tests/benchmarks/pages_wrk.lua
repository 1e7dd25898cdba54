-- wrk script of the page benchmark (tests/benchmarks/bench_pages.py).
--
-- The in-place edit reads every answer: 2xx, 409 (a stale edit, whose form carries the current
-- version) or anything else. A GET does not: handing each megabyte of body to Lua would make the
-- load generator a bottleneck, so there wrk's own count of statuses >= 400 is used, and
-- bench_pages.py checks the bytes per answer against the page's size (a redirect to the sign-in
-- page would be a few hundred bytes).
--
-- Arguments after "--":
--   get                                  a plain GET of the URL given to wrk
--   post PREFIX ID:VERSION:REACH ...     the in-place edit of a roadmap item's reach, as htmx
--                                        sends it: thread n edits its own item n, sends a new
--                                        reach each time and carries the item's version from
--                                        one answer to the next (200: the save made version+1;
--                                        409: the current version is in the conflict form).
-- The result is printed as one JSON line starting with "BENCH-RESULT ".

local threads = {}
local count = 0

function setup(thread)
   count = count + 1
   thread:set("index", count)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1]
   ok, non2xx, conflicts = 0, 0, 0
   if mode == "post" then
      prefix = args[2]
      local spec = args[2 + index]
      if spec == nil then
         error("no item for thread " .. index .. ": pass one ID:VERSION:REACH per thread")
      end
      local id, v, r = spec:match("^(%d+):(%d+):(%d+)$")
      item, version, reach = id, tonumber(v), tonumber(r)
      headers = {}
      for name, value in pairs(wrk.headers) do
         headers[name] = value
      end
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["HX-Request"] = "true"
      path = prefix .. item .. "/fields/reach/"
   else
      static = wrk.format()
      response = nil -- wrk then neither keeps nor parses the bodies
   end
end

function request()
   if mode ~= "post" then
      return static
   end
   reach = reach + 1 -- a new value every time, so every save writes a new version
   local body = "item" .. item .. "-reach=" .. reach .. "&item" .. item .. "-version=" .. version
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      if mode == "post" then
         version = version + 1
      end
   elseif mode == "post" and status == 409 then
      conflicts = conflicts + 1
      local current = body:match('name="item' .. item .. '%-version" value="(%d+)"')
      if current then
         version = tonumber(current)
      end
   else
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local total_ok, total_non2xx, total_conflicts = 0, 0, 0
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      total_non2xx = total_non2xx + thread:get("non2xx")
      total_conflicts = total_conflicts + thread:get("conflicts")
   end
   local e = summary.errors
   if threads[1]:get("mode") ~= "post" then
      total_non2xx = e.status
      total_ok = summary.requests - e.status
   end
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "mean_us": %.1f, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "ok": %d, "non2xx": %d, ' ..
      '"conflicts": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration, summary.bytes, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      total_ok, total_non2xx, total_conflicts,
      e.connect + e.read + e.write + e.timeout))
end
