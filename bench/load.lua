-- wrk script: signed WeChat posts with unique MsgIds / CreateTimes.
-- wrk ... -s bench/load.lua URL -- MODE QUERY|@QUERY_FILE OPENID_PREFIX FIRST_ID N_MEMBERS SCENES BASE
--   MODE text: "帮助" from members FIRST_ID.. in turn (unique MsgId per request)
--   MODE scan: SCAN events, member i of scene j in turn (unique CreateTime per member)
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode, query, prefix = args[1], args[2], args[3]
  first, n = tonumber(args[4]), tonumber(args[5])
  scenes = {}
  for s in string.gmatch(args[6] or "", "[^,]+") do table.insert(scenes, s) end
  base = tonumber(args[7])
  if string.sub(query, 1, 1) == "@" then  -- a file of signed queries, one per request (nonces are single-use)
    queries = {}
    for line in io.lines(string.sub(query, 2)) do table.insert(queries, line) end
  end
  counter = (tonumber(tid) or 0) * 1000000000  -- each wrk thread counts in its own range
  headers = { ["Content-Type"] = "text/xml" }
end

function request()
  local k = counter
  counter = counter + 1
  local who = prefix .. (first + (k % n))
  local body
  if mode == "scan" then
    local scene = scenes[(math.floor(k / n) % #scenes) + 1]
    body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" .. who ..
      "]]></FromUserName><CreateTime>" .. (base + k) .. "</CreateTime><MsgType><![CDATA[event]]></MsgType>" ..
      "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[" .. scene .. "]]></EventKey>" ..
      "<Ticket><![CDATA[TICKET]]></Ticket></xml>"
  else
    body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" .. who ..
      "]]></FromUserName><CreateTime>" .. base .. "</CreateTime><MsgType><![CDATA[text]]></MsgType>" ..
      "<Content><![CDATA[帮助]]></Content><MsgId>" .. string.format("%d%09d", base, k) .. "</MsgId></xml>"
  end
  local q = queries and queries[(k % #queries) + 1] or query
  return wrk.format("POST", "/wechat?" .. q, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
