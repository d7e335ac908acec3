--[[
cancel-job: an unfinished job to failed, its lease holder fenced out. Specification: cancelJob() in
src/admin.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (expired with the job)
KEYS[3] events  stream  the job's outbox (expired with the job)
ARGV[1] jobId        string
ARGV[2] actor        string, the operator (the events' worker_id and the job's owner)
ARGV[3] requestId    string
ARGV[4] nowMs        integer, ms; '' reads the server clock (TIME)
ARGV[5] retentionMs  integer, ms the job's keys live on
ARGV[6] reason       string, the failure reason a cancelled job is stored with
ARGV[7] message      string, already clipped

Returns (first element is the code):
   0 APPLIED, previousOwner, previousLeaseExpiresAtMs
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -5 INVALID_STATE, phase, detail
  -8 CORRUPT, problem
Events (the new epoch): job_cancelled, job_failed, and recovery_failed (job_failed) when a recovery
attempt is open. Cluster: touches KEYS only (one slot); the caller removes the job from the
recoverable index afterwards (a hint).
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local actor = ARGV[2]
local requestId = ARGV[3]
local retentionMs = ARGV[5]
local reason = ARGV[6]
local message = ARGV[7]

--- @include "common"

local job, refusal = load_job(stateKey, eventsKey)
if job == nil then
  return refusal
end
if job.lastRequestId == requestId then
  return { CODE_DUPLICATE }
end
if is_terminal(job.phase) then
  return invalid(job, 'a finished job cannot be cancelled')
end

local nowMs = now_ms(ARGV[4])
local epoch = job.epoch + 1
local previousOwner = job.owner or ''
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, actor, epoch, job.recoveryOpen)
writer.add('job_cancelled', 'phase', job.phase, 'previous_owner', previousOwner, 'message', message)
writer.add('job_failed', 'reason', reason, 'message', message)
if job.recoveryOpen then
  writer.add('recovery_failed', 'recovery_result', 'job_failed', 'attempt', int(job.recoveryAttempts),
    'reason', 'cancelled', 'message', message)
end
write_state(stateKey, job, {
  'phase', 'failed', 'epoch', int(epoch), 'owner', actor, 'leaseExpiresAtMs', '0', 'failureReason', reason,
  'failureMessage', message, 'recoveryOpen', '0', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq),
  'updatedAtMs', int(nowMs),
})
expire_all({ stateKey, chunksKey, eventsKey }, retentionMs)
return { CODE_APPLIED, previousOwner, int(job.leaseExpiresAtMs) }
