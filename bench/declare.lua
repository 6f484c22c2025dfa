-- wrk script: POST /interventions for persons known to the service (GSI_PERSONS), varied codes,
-- days and staff members, all dated in the current quarter before today.
local persons = {}
for id in string.gmatch(os.getenv("GSI_PERSONS") or "", "[^,]+") do persons[#persons + 1] = id end
local codes = {{"PDI", "V1"}, {"ADM", "V1"}, {"PDI", "V2"}, {"ACC", "V1"}, {"SUI", "V1"}}
local authorization = "Bearer " .. (os.getenv("GSI_TOKEN") or "")

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  local code = codes[math.random(#codes)]
  local body = string.format(
    '{"person_id":"%s","code":"%s","service_date":"2026-%02d-%02d","duration_minutes":%d,' ..
    '"mode":"in_person","volet":"%s","staff_member":"staff-%d"}',
    persons[math.random(#persons)], code[1], math.random(10, 11), math.random(1, 27),
    15 * math.random(1, 6), code[2], math.random(1, 40))
  return wrk.format("POST", "/interventions", {["Content-Type"] = "application/json", ["Authorization"] = authorization}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
