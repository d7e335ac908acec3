--[[
claim-job: grants a lease on a queued job, or begins a recovery of a started job whose lease
expired or was released. A claim after a release is a hand-over: it counts in recoveryAttempts and
recoveryHandovers, not toward recoveryAttemptsMax. A claim after a lease expired past
recoveryAttemptsMax such (crash) recoveries, recoveryAttempts - recoveryHandovers, fails the job
instead.
Specification: claim() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (read by nobody here; expired with a job this claim fails)
KEYS[3] events  stream  the job's outbox
ARGV[1] jobId                string
ARGV[2] workerId             string
ARGV[3] leaseMs              integer, ms
ARGV[4] recoveryAttemptsMax  integer, count
ARGV[5] requestId            string
ARGV[6] expectedRevision     integer, the revision the caller decoded and found consistent; '' skips
ARGV[7] nowMs                integer, ms; '' reads the server clock (TIME)
ARGV[8] retentionMs          integer, ms the keys of a job failed here live on

Returns (first element is the code):
   0 APPLIED, nowMs, <state>      lease granted; a recovery when the state's recoveryOpen is 1
   1 DUPLICATE, nowMs, <state>    this request was the last applied write: nothing written
   2 EXHAUSTED, nowMs, <state>    out of recovery attempts: the job failed
  -1 NOT_FOUND
  -7 NOT_CLAIMABLE, 'terminal' | 'leased', leaseExpiresAtMs
  -8 CORRUPT, problem             nothing written
  -9 CONFLICT, revision           the state changed since the caller decoded it: nothing written
  (<state> is the state hash after the claim, as field, value, ...)
Events (recovery=true, the new epoch): recovery_failed (owner_lost) when the previous attempt was
left open; then recovery_started, or job_failed (recovery_attempts_exhausted).
Cluster: touches KEYS only (one slot). The caller updates the recoverable index afterwards with
the lease expiry (ZADD) or removes a terminal job (ZREM): a hint the next claim re-checks.
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local workerId = ARGV[2]
local leaseMs = tonumber(ARGV[3])
local recoveryAttemptsMax = tonumber(ARGV[4])
local requestId = ARGV[5]
local expectedRevision = ARGV[6]
local retentionMs = ARGV[8]

--- @include "common"

local job, refusal = load_job(stateKey, eventsKey)
if job == nil then
  return refusal
end
if expectedRevision ~= '' and job.revision ~= tonumber(expectedRevision) then
  return { CODE_CONFLICT, int(job.revision) }
end
local nowMs = now_ms(ARGV[7])
if job.lastRequestId == requestId and job.owner == workerId then
  return with_state(CODE_DUPLICATE, stateKey, int(nowMs))
end
if is_terminal(job.phase) then
  return { CODE_NOT_CLAIMABLE, 'terminal', '0' }
end
if job.owner ~= nil and job.leaseExpiresAtMs > nowMs then
  return { CODE_NOT_CLAIMABLE, 'leased', int(job.leaseExpiresAtMs) }
end
local previousOwner = job.owner
if job.phase ~= 'queued' and previousOwner == nil then
  return { CODE_CORRUPT, 'phase ' .. job.phase .. ' without an owner' }
end

local epoch = job.epoch + 1
if job.phase == 'queued' then
  write_state(stateKey, job, {
    'phase', 'chunking', 'epoch', int(epoch), 'owner', workerId, 'leaseExpiresAtMs', int(nowMs + leaseMs),
    'lastRequestId', requestId, 'updatedAtMs', int(nowMs),
  })
  return with_state(CODE_APPLIED, stateKey, int(nowMs))
end

local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, true)
if job.recoveryOpen then
  writer.add('recovery_failed', 'recovery_result', 'owner_lost', 'attempt', int(job.recoveryAttempts), 'reason', 'owner_lost',
    'message', 'owner ' .. previousOwner .. ' stopped before finishing recovery attempt ' .. int(job.recoveryAttempts))
end

local handover = job.leaseExpiresAtMs == 0
local crashRecoveries = job.recoveryAttempts - job.recoveryHandovers
if not handover and crashRecoveries >= recoveryAttemptsMax then
  local message = 'job abandoned by its owner after ' .. int(crashRecoveries) .. ' crash recoveries and '
    .. int(job.recoveryHandovers) .. ' hand-overs (max ' .. int(recoveryAttemptsMax) .. ' crash recoveries)'
  writer.add('job_failed', 'reason', 'recovery_attempts_exhausted', 'message', message)
  write_state(stateKey, job, {
    'phase', 'failed', 'epoch', int(epoch), 'owner', workerId, 'leaseExpiresAtMs', '0',
    'failureReason', 'recovery_attempts_exhausted', 'failureMessage', message, 'recoveryOpen', '0',
    'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
  })
  expire_all({ stateKey, chunksKey, eventsKey }, retentionMs)
  return with_state(CODE_EXHAUSTED, stateKey, int(nowMs))
end

local attempt = job.recoveryAttempts + 1
local handovers = job.recoveryHandovers
local recoveryType = 'lease_expired'
local cause = 'lease expired for'
if handover then
  handovers = handovers + 1
  recoveryType = 'released'
  cause = 'released by'
end
writer.add('recovery_started',
  'message', 'recovering job ' .. jobId .. ' from phase ' .. job.phase .. ': ' .. cause .. ' ' .. previousOwner,
  'recovery_type', recoveryType, 'attempt', int(attempt), 'previous_owner', previousOwner, 'phase', job.phase)
write_state(stateKey, job, {
  'epoch', int(epoch), 'owner', workerId, 'leaseExpiresAtMs', int(nowMs + leaseMs), 'lastRequestId', requestId,
  'recoveryAttempts', int(attempt), 'recoveryHandovers', int(handovers), 'recoveryOpen', '1',
  'recoveryStartedAtMs', int(nowMs), 'recoveryResumed', '0', 'recoveryRecreatedChunks', '0',
  'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
return with_state(CODE_APPLIED, stateKey, int(nowMs))
