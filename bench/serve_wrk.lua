-- wrk script for the HTTP scenarios of bench/serve.sh: one prebuilt POST, sent again and again.
--
--   wrk -t2 -c8 -d10s --latency -s bench/serve_wrk.lua http://127.0.0.1:PORT -- \
--       PATH BODY_FILE CONTENT_TYPE [INFERENCE_HEADER_CONTENT_LENGTH]
--
-- BODY_FILE is read as bytes (the binary-extension bodies are a JSON header followed by raw
-- float32 rows; bench/make_serving_model.py writes them). With a 4th argument the request carries
-- `Inference-Header-Content-Length`. The whole request is formatted once per wrk thread in init(),
-- so request() costs nothing. done() prints one "BENCH k=v ..." line that serve.sh parses
-- (latencies in microseconds).

local req

function init(args)
  local path, file, content_type, header_length = args[1], args[2], args[3], args[4]
  local f = assert(io.open(file, "rb"))
  local body = f:read("*a")
  f:close()
  local headers = { ["Content-Type"] = content_type }
  if header_length then headers["Inference-Header-Content-Length"] = header_length end
  req = wrk.format("POST", path, headers, body)
end

function request()
  return req
end

-- done(): the shared BENCH line, from the file next to this one.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "wrk_report.lua")
