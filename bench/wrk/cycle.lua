-- wrk script that POSTs the lines of a file as JSON bodies, one after another, round robin:
--
--   wrk -s bench/wrk/cycle.lua URL -- BODIES_FILE
--
-- It reports like report.lua (one "RESULT {...}" line at the end).

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

local bodies = {}
local next_body = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(bodies, line) end
  end
  assert(#bodies > 0, "no request bodies in " .. args[1])
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[next_body])
end
