--[[
retry-job: a failed job back to work as a new attempt. Specification: retryJob() in src/admin.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (kept: committed chunks stay committed)
KEYS[3] events  stream  the job's outbox
ARGV[1] jobId      string
ARGV[2] actor      string, the operator (the event's worker_id and the job's owner)
ARGV[3] requestId  string
ARGV[4] nowMs      integer, ms; '' reads the server clock (TIME)
ARGV[5] message    string, already clipped

Returns (first element is the code):
   0 APPLIED, previousOwner, previousLeaseExpiresAtMs
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -5 INVALID_STATE, phase, detail
  -8 CORRUPT, problem
Events: job_retried (recovery=false, the new epoch).
Writes: the phase its chunks imply, epoch + 1, owner = actor, no lease (released), failure cleared,
recovery count reset; the retention of a failed job ends (PERSIST). Cluster: touches KEYS only
(one slot); the caller puts the job in the recoverable index before and after (score 0).
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local actor = ARGV[2]
local requestId = ARGV[3]
local message = ARGV[5]

--- @include "common"

local job, refusal = load_job(stateKey, eventsKey)
if job == nil then
  return refusal
end
if job.lastRequestId == requestId then
  return { CODE_DUPLICATE }
end
local failureReason = redis.call('HGET', stateKey, 'failureReason')
if job.phase ~= 'failed' or type(failureReason) ~= 'string' then
  return invalid(job, 'only a failed job can be retried')
end
local phase = 'chunking'
if job.chunkCount > 0 then
  phase = 'finalizing'
  if job.committedCount < job.chunkCount then
    phase = 'transcribing'
  end
end

local nowMs = now_ms(ARGV[4])
local epoch = job.epoch + 1
local previousOwner = job.owner or ''
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, actor, epoch, false)
writer.add('job_retried', 'previous_reason', failureReason, 'phase', phase, 'message', message)
redis.call('HDEL', stateKey, 'failureReason', 'failureMessage')
write_state(stateKey, job, {
  'phase', phase, 'epoch', int(epoch), 'owner', actor, 'leaseExpiresAtMs', '0', 'recoveryAttempts', '0',
  'recoveryHandovers', '0', 'recoveryOpen', '0', 'recoveryStartedAtMs', '0', 'recoveryResumed', '0', 'recoveryRecreatedChunks', '0',
  'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
redis.call('PERSIST', stateKey)
redis.call('PERSIST', chunksKey)
redis.call('PERSIST', eventsKey)
return { CODE_APPLIED, previousOwner, int(job.leaseExpiresAtMs) }
