-- wrk script: POST /persons with varied, realistic bodies (names, birth dates, statuses).
local families = {"Haddad","Nguyen","Traore","Martinez","Okafor","Kowalski","Rahimi","Diallo","Silva","Chen","Tremblay","Gagnon","Roy","Cote","Bouchard"}
local givens = {"Amina","Yusuf","Linh","Mariam","Carlos","Ngozi","Anna","Reza","Fatou","Wei","Julie","Marc","Sophie","Karim","Ines"}
local statuses = {"permanent_resident","government_assisted_refugee","protected_person","asylum_claimant","temporary_worker"}
local counter = 0
local authorization = "Bearer " .. (os.getenv("GSI_TOKEN") or "")

function init(args)
  math.randomseed(os.time() + (tonumber(os.getenv("GSI_SEED") or "0") or 0) + math.floor(os.clock() * 1e6))
end

request = function()
  counter = counter + 1
  local year = math.random(1950, 2005)
  local body = string.format(
    '{"family_name":"%s%d","given_name":"%s","birth_date":"%d-%02d-%02d","sex":"%s","country_of_birth":"SY",' ..
    '"status":{"status":"%s","effective_from":"2025-%02d-01","admission_date":"2025-%02d-01"},' ..
    '"address":{"region":"%02d"},"consents":["service_delivery"]}',
    families[math.random(#families)], math.random(1, 99999), givens[math.random(#givens)],
    year, math.random(1, 12), math.random(1, 28), (math.random(2) == 1) and "F" or "M",
    statuses[math.random(#statuses)], math.random(1, 12), math.random(1, 12), math.random(1, 17))
  return wrk.format("POST", "/persons", {["Content-Type"] = "application/json", ["Authorization"] = authorization}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d p50_us=%d p95_us=%d p99_us=%d\n",
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end

local reported = false
response = function(status, headers, body)
  if status ~= 201 and not reported then
    reported = true
    io.write("FIRST-ERROR " .. status .. " " .. body .. "\n")
  end
end
