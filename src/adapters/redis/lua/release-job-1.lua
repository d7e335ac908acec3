--[[
release-job: the owner gives its lease back (expiry 0) so that another worker may claim the job at
once, as a recovery of type released. Specification: release() in src/core/operations.ts.

KEYS[1] state  hash  the job's fields
ARGV[1] jobId      string
ARGV[2] workerId   string
ARGV[3] epoch      integer, the fencing token the caller holds
ARGV[4] requestId  string
ARGV[5] nowMs      integer, ms; '' reads the server clock (TIME)

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -8 CORRUPT, problem
Events: none.
Cluster: touches KEYS only (one slot). The caller sets the job's score in the recoverable index
to 0 afterwards (a hint).
]]

local stateKey = KEYS[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]

--- @include "common"

local job, refusal = load_fenced(stateKey, nil, workerId, epoch, requestId)
if job == nil then
  return refusal
end
local nowMs = now_ms(ARGV[5])
write_state(stateKey, job, { 'leaseExpiresAtMs', '0', 'lastRequestId', requestId, 'updatedAtMs', int(nowMs) })
return { CODE_APPLIED }
