--[[
mark-resumed: emits processing_resumed for the open recovery attempt, once.
Specification: markResumed() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields (committedCount and chunkCount give the counts)
KEYS[2] events  stream  the job's outbox
ARGV[1] jobId      string
ARGV[2] workerId   string
ARGV[3] epoch      integer, the fencing token the caller holds
ARGV[4] requestId  string
ARGV[5] nowMs      integer, ms; '' reads the server clock (TIME)

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write, or the attempt already resumed: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -5 INVALID_STATE, phase, detail
  -8 CORRUPT, problem
Events: processing_resumed.
Cluster: touches KEYS only (one slot); the recoverable index is not affected.
]]

local stateKey = KEYS[1]
local eventsKey = KEYS[2]
local jobId = ARGV[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end
if job.phase ~= 'transcribing' then
  return invalid(job, 'processing resumes only while transcribing')
end
if not job.recoveryOpen then
  return invalid(job, 'no recovery attempt is open')
end
if job.recoveryResumed then
  return { CODE_DUPLICATE }
end

local nowMs = now_ms(ARGV[5])
local completed = job.committedCount
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, job.recoveryOpen)
writer.add('processing_resumed', 'completed_chunks', int(completed), 'remaining_chunks', int(job.chunkCount - completed))
write_state(stateKey, job, {
  'recoveryResumed', '1', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
return { CODE_APPLIED }
