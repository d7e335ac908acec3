--[[
fail-job: fails a job with a machine-readable reason, and starts the retention clock of all its
keys. Specification: fail() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (expired with the job)
KEYS[3] events  stream  the job's outbox (expired with the job)
ARGV[1]  jobId        string
ARGV[2]  workerId     string
ARGV[3]  epoch        integer, the fencing token the caller holds
ARGV[4]  requestId    string
ARGV[5]  nowMs        integer, ms; '' reads the server clock (TIME)
ARGV[6]  retentionMs  integer, ms the job's keys live on
ARGV[7]  reason       string, a failure reason
ARGV[8]  message      string, already clipped to messageCharsMax characters
ARGV[9]  chunkIndex   integer, the chunk whose failure failed the job; '' for none
ARGV[10] retryable    'true' | 'false', whether that chunk's error was retryable

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -8 CORRUPT, problem
Events: chunk_failed (when chunkIndex is given), job_failed, and recovery_failed (job_failed)
when a recovery attempt is open.
Cluster: touches KEYS only (one slot). The caller removes the job from the recoverable index
afterwards (a hint).
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]
local retentionMs = ARGV[6]
local reason = ARGV[7]
local message = ARGV[8]
local chunkIndex = ARGV[9]
local retryable = ARGV[10]

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end

local nowMs = now_ms(ARGV[5])
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, job.epoch, job.recoveryOpen)
if chunkIndex ~= '' then
  writer.add('chunk_failed', 'chunk_index', chunkIndex, 'error', message, 'retryable', retryable)
end
writer.add('job_failed', 'reason', reason, 'message', message)
if job.recoveryOpen then
  writer.add('recovery_failed', 'recovery_result', 'job_failed', 'attempt', int(job.recoveryAttempts), 'reason', reason, 'message', message)
end
write_state(stateKey, job, {
  'phase', 'failed', 'epoch', int(job.epoch), 'owner', workerId, 'leaseExpiresAtMs', '0', 'failureReason', reason,
  'failureMessage', message, 'recoveryOpen', '0', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq),
  'updatedAtMs', int(nowMs),
})
expire_all({ stateKey, chunksKey, eventsKey }, retentionMs)
return { CODE_APPLIED }
