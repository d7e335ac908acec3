--[[
renew-lease: extends the current holder's lease to max(current expiry, now + leaseMs).
Specification: renew() in src/core/operations.ts. Writes no event and no request id.

KEYS[1] state  hash  the job's fields
ARGV[1] jobId     string
ARGV[2] workerId  string
ARGV[3] epoch     integer, the fencing token the caller holds
ARGV[4] leaseMs   integer, ms
ARGV[5] nowMs     integer, ms; '' reads the server clock (TIME)

Returns (first element is the code):
   0 APPLIED, leaseExpiresAtMs
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch      another epoch or owner, or the lease was released
  -4 TERMINAL, phase
  -8 CORRUPT, problem
Events: none.
Cluster: touches KEYS only (one slot). The caller moves the job's score in the recoverable index
to the new expiry afterwards (a hint).
]]

local stateKey = KEYS[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])

--- @include "common"

local job, refusal = load_job(stateKey, nil)
if job == nil then
  return refusal
end
if job.epoch ~= epoch or job.owner ~= workerId or job.leaseExpiresAtMs == 0 then
  return { CODE_STALE_EPOCH, int(job.epoch) }
end
if is_terminal(job.phase) then
  return { CODE_TERMINAL, job.phase }
end
local nowMs = now_ms(ARGV[5])
local leaseExpiresAtMs = math.max(job.leaseExpiresAtMs, nowMs + leaseMs)
write_state(stateKey, job, { 'leaseExpiresAtMs', int(leaseExpiresAtMs) })
return { CODE_APPLIED, int(leaseExpiresAtMs) }
