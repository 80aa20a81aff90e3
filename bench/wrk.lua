-- wrk script for the throughput scenarios of bench/run.sh (run with wrk -t1).
--
--   wrk -t1 -c4 -d10s -s bench/wrk.lua http://127.0.0.1:PORT -- log-metric RUN_ID
--   wrk -t1 -c4 -d10s -s bench/wrk.lua http://127.0.0.1:PORT -- log-batch  RUN_ID
--   wrk -t1 -c4 -d10s -s bench/wrk.lua http://127.0.0.1:PORT -- runs-create EXPERIMENT_ID
--
-- Request bodies are prebuilt in init(); request() only splices in a counter, so that wrk
-- (sharing the 2 cores with the server) stays cheap. done() prints one "BENCH k=v ..." line
-- that run.sh parses.

local API = "/api/2.0/mlflow/"
local TS = "1700000000000" -- fixed timestamp (ms); steps carry the ordering

local mode, prefix, body_pre, fixed
local n = 0 -- request counter

-- Raw request up to and including "Content-Length: ", so a body of any length can follow.
local function request_prefix(path)
  local head = wrk.format("POST", API .. path, { ["Content-Type"] = "application/json" })
  return head:sub(1, -3) .. "Content-Length: " -- drop the blank line ending the headers
end

local function with_body(body)
  return prefix .. #body .. "\r\n\r\n" .. body
end

-- log-batch: 1000 metrics = 100 keys (m00..m99) x 10 steps; request k logs steps 10k..10k+9,
-- metric value "<step>.<key index>". The body is the fixed text between the step numbers
-- (`gaps`) interleaved with the step numbers, joined by one table.concat into a reused table.
local gaps, parts

function init(args)
  mode = args[1]
  local id = args[2]
  if mode == "log-metric" then
    prefix = request_prefix("runs/log-metric")
    body_pre = '{"run_id":"' .. id .. '","key":"m","timestamp":' .. TS .. ',"value":'
  elseif mode == "log-batch" then
    prefix = request_prefix("runs/log-batch")
    -- text = gaps[1] step gaps[2] step ... gaps[2000] step gaps[2001]
    gaps, parts = {}, {}
    local text = '{"run_id":"' .. id .. '","metrics":['
    for j = 0, 9 do
      for i = 0, 99 do
        local sep = (j == 0 and i == 0) and "" or ","
        gaps[#gaps + 1] = text .. sep .. string.format('{"key":"m%02d","value":', i)
        gaps[#gaps + 1] = string.format('.%d,"timestamp":%s,"step":', i, TS)
        text = "}"
      end
    end
    gaps[#gaps + 1] = "}]}"
  elseif mode == "runs-create" then
    fixed = wrk.format("POST", API .. "runs/create", { ["Content-Type"] = "application/json" },
      '{"experiment_id":"' .. id .. '","start_time":' .. TS .. ',"tags":[]}')
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  n = n + 1
  if mode == "log-metric" then
    return with_body(body_pre .. n .. ',"step":' .. n .. '}')
  elseif mode == "log-batch" then
    local g = 1
    for j = 0, 9 do
      local step = tostring((n - 1) * 10 + j)
      for _ = 1, 200 do -- 100 keys, each with the step in its value and its step
        parts[2 * g - 1], parts[2 * g] = gaps[g], step
        g = g + 1
      end
    end
    parts[2 * g - 1] = gaps[g]
    return with_body(table.concat(parts))
  else
    return fixed
  end
end

-- done(): the shared BENCH line, from the file next to this one.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_report.lua")
