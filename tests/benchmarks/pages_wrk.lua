-- wrk script of the page benchmark (tests/benchmarks/bench_pages.py), for roleplan and Redmine.
--
-- Writes read every answer: 2xx, 409 (a stale edit, whose form carries the current version) or
-- anything else. A GET does not: handing each megabyte of body to Lua would make the load
-- generator a bottleneck, so there wrk's own count of statuses >= 400 is used, and
-- bench_pages.py checks the bytes per answer against the page's size (a redirect to a sign-in
-- page would be a few hundred bytes).
--
-- Arguments after "--" (one SPEC per load-generator thread; thread n uses the n-th):
--   get                         a plain GET of the URL given to wrk
--   edit SPEC...                roleplan's in-place edit, as htmx sends it. SPEC is
--                               PATH|BODY|VERSION|VALUE|VERSION_FIELD: BODY has {value} and
--                               {version} in it; each request sends VALUE+1 (so every save
--                               writes a new version) and carries the version from one answer
--                               to the next (2xx: the save made version+1; 409: the current
--                               version is in the conflict form's input VERSION_FIELD).
--   move SPEC...                roleplan's drag on the board: SPEC is PATH|HORIZON; each
--                               request moves the item to the top of HORIZON, then to its end,
--                               and so on, so every move changes the order.
--   put SPEC...                 Redmine's `PUT /issues/N.json`: SPEC is PATH|HOURS; each request
--                               sets estimated_hours to a new value (a journal entry each time,
--                               as roleplan writes a history row). The API key comes as a header.
-- The result is printed as one JSON line starting with "BENCH-RESULT ".

local threads = {}
local count = 0

function setup(thread)
   count = count + 1
   thread:set("index", count)
   table.insert(threads, thread)
end

local function split(spec)
   local parts = {}
   for part in (spec .. "|"):gmatch("([^|]*)|") do
      table.insert(parts, part)
   end
   return parts
end

local function copy_headers()
   local out = {}
   for name, value in pairs(wrk.headers) do
      out[name] = value
   end
   return out
end

function init(args)
   mode = args[1]
   ok, non2xx, conflicts, turn = 0, 0, 0, 0
   if mode == "get" then
      static = wrk.format()
      response = nil -- wrk then neither keeps nor parses the bodies
      return
   end
   local spec = args[1 + index]
   if spec == nil then
      error("no SPEC for thread " .. index .. ": pass one per thread")
   end
   local parts = split(spec)
   path = parts[1]
   headers = copy_headers()
   if mode == "edit" then
      body_template, version, value = parts[2], tonumber(parts[3]), tonumber(parts[4])
      version_pattern = 'name="' .. parts[5]:gsub("%-", "%%-") .. '" value="(%d+)"'
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["HX-Request"] = "true"
   elseif mode == "move" then
      horizon = parts[2]
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["HX-Request"] = "true"
   elseif mode == "put" then
      value = tonumber(parts[2])
      headers["Content-Type"] = "application/json"
   else
      error("unknown mode " .. tostring(mode))
   end
end

function request()
   if mode == "get" then
      return static
   end
   turn = turn + 1
   if mode == "edit" then
      value = value + 1
      local body = body_template:gsub("{value}", tostring(value)):gsub("{version}", tostring(version))
      return wrk.format("POST", path, headers, body)
   elseif mode == "move" then
      local position = (turn % 2 == 1) and 0 or 99999
      return wrk.format("POST", path, headers, "horizon=" .. horizon .. "&position=" .. position)
   else
      value = value + 0.5
      local body = '{"issue": {"estimated_hours": ' .. string.format("%.1f", value) .. '}}'
      return wrk.format("PUT", path, headers, body)
   end
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      if mode == "edit" then
         version = version + 1
      end
   elseif mode == "put" and (status == 409 or status == 422) then
      conflicts = conflicts + 1 -- Redmine's answer to a stale write (StaleObjectError)
   elseif mode == "edit" and status == 409 then
      conflicts = conflicts + 1
      local current = body:match(version_pattern)
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
   if threads[1]:get("mode") == "get" then
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
