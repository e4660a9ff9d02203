-- wrk script that sends one request, built from its arguments, and counts the answers that are
-- not what a good one looks like:
--
--   wrk -s bench/wrk/expect.lua URL -- METHOD BODY_FILE MARKER [HEADER ...]
--
-- METHOD is GET or POST; BODY_FILE is "-" for no body (give its Content-Type as a HEADER);
-- MARKER is a plain string every good answer's body contains; each HEADER is "Name: value".
-- An answer is unexpected when its status is not 200 (or 302 with MARKER in its Location) or
-- MARKER is missing. At the end it prints "CHECKED <unexpected answers>", "SAMPLE <the first
-- one, status and 300 bytes>" when there was one, then report.lua's "RESULT {...}" line.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")
local report_done = done

local threads = {}
local marker = ""
unexpected = 0
sample = ""

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1]
  if args[2] and args[2] ~= "-" then
    local f = assert(io.open(args[2], "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
  marker = args[3] or ""
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    assert(name, "a header is Name: value, not " .. args[i])
    wrk.headers[name] = value
  end
end

function response(status, headers, body)
  local good
  if status == 302 then
    good = (headers["Location"] or headers["location"] or ""):find(marker, 1, true) ~= nil
  else
    good = status == 200 and body:find(marker, 1, true) ~= nil
  end
  if not good then
    unexpected = unexpected + 1
    if sample == "" then
      sample = tostring(status) .. " " .. body:sub(1, 300):gsub("[\r\n]+", " ")
    end
  end
end

function done(summary, latency, requests)
  local count, first = 0, ""
  for _, thread in ipairs(threads) do
    count = count + (thread:get("unexpected") or 0)
    local seen = thread:get("sample") or ""
    if first == "" then first = seen end
  end
  io.write(string.format("CHECKED %d\n", count))
  if first ~= "" then io.write("SAMPLE " .. first .. "\n") end
  report_done(summary, latency, requests)
end
