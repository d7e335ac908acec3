--[[
record-chunk-plan: records the chunk plan, chunking -> transcribing.
Specification: recordPlan() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks, `<index>:<field>`; replaced by the plan
KEYS[3] events  stream  the job's outbox
ARGV[1] jobId        string
ARGV[2] workerId     string
ARGV[3] epoch        integer, the fencing token the caller holds
ARGV[4] requestId    string
ARGV[5] nowMs        integer, ms; '' reads the server clock (TIME)
ARGV[6] durationMs   number, ms, the media duration (stored and emitted as given)
ARGV[7] planProblem  string, why the plan is not contiguous and whole ('' when it is); computed by
                     planProblem() in TypeScript from the request alone, refused here in its turn
ARGV[8] chunkCount   integer, count
ARGV[9 + 4i .. 12 + 4i] chunk i: startMs (number, ms), durationMs (number, ms), bytes (integer), sha256 (hex)

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE            this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -5 INVALID_STATE, phase, detail
  -8 CORRUPT, problem
Events: chunks_created, transcription_started.
Cluster: touches KEYS only (one slot); the recoverable index is not affected.
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local workerId = ARGV[2]
local epoch = tonumber(ARGV[3])
local requestId = ARGV[4]
local durationMs = ARGV[6]
local planProblem = ARGV[7]
local chunkCount = tonumber(ARGV[8])
local firstChunkArgument = 9

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end
if job.phase ~= 'chunking' then
  return invalid(job, 'chunks can be planned only while chunking')
end
if planProblem ~= '' then
  return invalid(job, planProblem)
end

local nowMs = now_ms(ARGV[5])
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, job.recoveryOpen)
writer.add('chunks_created', 'total_chunks', int(chunkCount), 'chunk_length_ms', int(job.chunkLengthMs), 'duration_ms', durationMs)
writer.add('transcription_started', 'total_chunks', int(chunkCount))
redis.call('DEL', chunksKey)
for index = 0, chunkCount - 1 do
  local at = firstChunkArgument + index * 4
  local name = int(index)
  redis.call('HSET', chunksKey,
    name .. ':startMs', ARGV[at], name .. ':durationMs', ARGV[at + 1], name .. ':bytes', ARGV[at + 2],
    name .. ':sha256', ARGV[at + 3], name .. ':status', 'pending')
end
write_state(stateKey, job, {
  'phase', 'transcribing', 'durationMs', durationMs, 'chunkCount', int(chunkCount), 'committedCount', '0',
  'transcriptChars', '0', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
return { CODE_APPLIED }
