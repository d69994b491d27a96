-- wrk: every request carries a credential never sent before, "Token good-<run>-<thread>-<n>"
-- (wrk ... -s unique_token.lua URL -- <run prefix>), so no cache in the proxy has seen it.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  prefix = "good-" .. (args[1] or "run") .. "-" .. id .. "-"
  n = 0
end

function request()
  n = n + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Token " .. prefix .. n })
end
