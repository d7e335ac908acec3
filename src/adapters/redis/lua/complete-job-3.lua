--[[
complete-job: completes a job whose chunks are all committed (phase finalizing), and starts the
retention clock of all its keys. Specification: complete() in src/core/operations.ts. The final
transcript is not stored twice: it is the chunks' texts joined by one space, assembled on load.

KEYS[1] state   hash    the job's fields (transcriptChars gives the transcript's length)
KEYS[2] chunks  hash    the job's chunks (expired with the job)
KEYS[3] events  stream  the job's outbox (expired with the job)
ARGV[1] jobId        string
ARGV[2] workerId     string
ARGV[3] epoch        integer, the fencing token the caller holds
ARGV[4] requestId    string
ARGV[5] nowMs        integer, ms; '' reads the server clock (TIME)
ARGV[6] retentionMs  integer, ms the job's keys live on

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -5 INVALID_STATE, phase, detail
  -8 CORRUPT, problem
Events: progress_update (100), transcription_completed, and recovery_completed when a recovery
attempt is open.
Cluster: touches KEYS only (one slot). The caller removes the job from the recoverable index
afterwards (a hint: a claim of a terminal job is refused and removes it too).
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]
local retentionMs = ARGV[6]

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end
if job.phase ~= 'finalizing' then
  return invalid(job, 'a job completes only from finalizing')
end

local nowMs = now_ms(ARGV[5])
local total = job.chunkCount
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, job.recoveryOpen)
writer.add('progress_update', 'completed_chunks', int(total), 'total_chunks', int(total), 'progress', '100')
writer.add('transcription_completed', 'total_chunks', int(total), 'transcript_length', int(job.transcriptChars + math.max(0, total - 1)))
if job.recoveryOpen then
  writer.add('recovery_completed', 'recovery_result', 'job_completed', 'attempt', int(job.recoveryAttempts),
    'recreated_chunks', int(job.recoveryRecreatedChunks), 'duration_ms', int(math.max(0, nowMs - job.recoveryStartedAtMs)))
end
write_state(stateKey, job, {
  'phase', 'completed', 'leaseExpiresAtMs', '0', 'recoveryOpen', '0', 'lastRequestId', requestId,
  'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
expire_all({ stateKey, chunksKey, eventsKey }, retentionMs)
return { CODE_APPLIED }
