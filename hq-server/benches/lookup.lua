-- wrk script for the members benchmark (BENCHMARKS.md): member lookups as tills make them, a
-- random member of 1,000,000 by phone or card code, with the till token from $TOKEN.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-till-token"] = os.getenv("TOKEN")
local n = 0
request = function()
  n = n + 1
  local i = math.random(0, 999999)
  if n % 2 == 0 then
    return wrk.format(nil, nil, nil, string.format('{"by":{"by":"phone","value":"15%09d"}}', i))
  end
  return wrk.format(nil, nil, nil, string.format('{"by":{"by":"code","value":"%010d"}}', 8000000001 + i))
end
