--[[
commit-chunk: commits a pending chunk's transcript, exactly once; the last commit moves the job
to finalizing. Specification: commit() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks, `<index>:<field>`
KEYS[3] events  stream  the job's outbox
ARGV[1] jobId       string
ARGV[2] workerId    string
ARGV[3] epoch       integer, the fencing token the caller holds
ARGV[4] requestId   string
ARGV[5] nowMs       integer, ms; '' reads the server clock (TIME)
ARGV[6] index       integer, the chunk
ARGV[7] transcript  string, the chunk's text
ARGV[8] textLength  integer, the text's length in UTF-16 code units (JavaScript string length)

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -5 INVALID_STATE, phase, detail
  -6 ALREADY_COMMITTED, index
  -8 CORRUPT, problem
Events: chunk_transcribed, progress_update (capped at 99 until the job completes).
Cluster: touches KEYS only (one slot); the recoverable index is not affected.
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]
local index = tonumber(ARGV[6])
local transcript = ARGV[7]
local textLength = tonumber(ARGV[8])

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end
if job.phase ~= 'transcribing' then
  return invalid(job, 'chunks can be committed only while transcribing')
end
local name
name, refusal = pending_chunk(job, chunksKey, index)
if name == nil then
  return refusal
end

local nowMs = now_ms(ARGV[5])
local total = job.chunkCount
local completed = job.committedCount + 1
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, job.recoveryOpen)
writer.add('chunk_transcribed', 'chunk_index', name, 'text_length', int(textLength))
writer.add('progress_update', 'completed_chunks', int(completed), 'total_chunks', int(total),
  'progress', int(math.min(99, math.floor(100 * completed / total))))
redis.call('HSET', chunksKey, name .. ':transcript', transcript, name .. ':status', 'committed')
local fields = {
  'committedCount', int(completed), 'transcriptChars', int(job.transcriptChars + textLength),
  'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
}
if completed == total then
  fields[#fields + 1] = 'phase'
  fields[#fields + 1] = 'finalizing'
end
write_state(stateKey, job, fields)
return { CODE_APPLIED }
