-- Each request names a different hosted domain, cycling through all of them, so the policy
-- look-up is exercised across the whole set rather than one hot entry.
local n = tonumber(os.getenv("BENCH_DOMAINS") or "10000")
local i = 0
request = function()
  i = (i % n) + 1
  return wrk.format("GET", "/.well-known/mta-sts.txt", { ["Host"] = "mta-sts.d" .. (i - 1) .. ".bench" })
end
