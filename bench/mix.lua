-- wrk script of the request mix (issue 19): each request is one line, drawn at random, of
-- a file written by bench/mix.py (`auth<TAB>X-Forwarded-For<TAB>path`):
--
--   wrk -t2 -c8 -d10s --latency -s bench/mix.lua http://127.0.0.1:8000 -- bench/results/mix/register.tsv
--
-- auth is "-" (anonymous: no credentials, so kept answers apply), "session" (the
-- BENCH_COOKIE header) or "bearer" (BENCH_AUTH). The requests are formatted once in
-- init(); request() only picks one. The JSON line printed at the end is report.lua's.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local cookie = os.getenv("BENCH_COOKIE") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local requests = {}
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

init = function(args)
  local path = args[1]
  if not path then error("mix.lua: give the request file after --") end
  math.randomseed(os.time() * 100 + (thread_no or 0))
  local host = wrk.host .. ":" .. wrk.port
  for line in io.lines(path) do
    local kind, xff, url = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    if url then
      local headers = { ["Host"] = host, ["X-Forwarded-For"] = xff }
      if kind == "session" then headers["Cookie"] = cookie end
      if kind == "bearer" then headers["Authorization"] = auth end
      requests[#requests + 1] = wrk.format("GET", url, headers)
    end
  end
  if #requests == 0 then error("mix.lua: no requests in " .. path) end
end

request = function()
  return requests[math.random(#requests)]
end
