-- wrk script that POSTs a line of a file, drawn at random, as a JSON body, with a bearer token:
--
--   wrk -s bench/wrk/random.lua URL -- BODIES_FILE [TOKEN]
--
-- Each thread draws from its own generator, seeded with its number, so that runs send the same
-- sequence. It reports like report.lua (one "RESULT {...}" line at the end).

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

local threads = 0
local bodies = {}
local headers = {["Content-Type"] = "application/json"}

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(bodies, line) end
  end
  assert(#bodies > 0, "no request bodies in " .. args[1])
  if args[2] and args[2] ~= "" then headers["Authorization"] = "Bearer " .. args[2] end
  math.randomseed(7919 * (number or 1))
end

function request()
  return wrk.format("POST", nil, headers, bodies[math.random(#bodies)])
end
