--[[
record-chunk-recreated: records a pending chunk's file as re-extracted (new size and checksum).
Specification: recordRecreated() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks, `<index>:<field>`
KEYS[3] events  stream  the job's outbox
ARGV[1] jobId      string
ARGV[2] workerId   string
ARGV[3] epoch      integer, the fencing token the caller holds
ARGV[4] requestId  string
ARGV[5] nowMs      integer, ms; '' reads the server clock (TIME)
ARGV[6] index      integer, the chunk
ARGV[7] reason     'missing' | 'corrupt'
ARGV[8] bytes      integer, the new file's size
ARGV[9] sha256     string, the new file's checksum (hex)

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE              this request was the last applied write: nothing written
  -1 NOT_FOUND
  -3 STALE_EPOCH, epoch
  -4 TERMINAL, phase
  -5 INVALID_STATE, phase, detail
  -6 ALREADY_COMMITTED, index
  -8 CORRUPT, problem
Events: chunk_recreated.
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
local reason = ARGV[7]
local bytes = ARGV[8]
local sha256 = ARGV[9]

--- @include "common"

local job, refusal = load_fenced(stateKey, eventsKey, workerId, epoch, requestId)
if job == nil then
  return refusal
end
if job.phase ~= 'transcribing' then
  return invalid(job, 'chunks can be re-extracted only while transcribing')
end
local name
name, refusal = pending_chunk(job, chunksKey, index)
if name == nil then
  return refusal
end

local nowMs = now_ms(ARGV[5])
local writer = event_writer(eventsKey, jobId, job.nextSeq, nowMs, workerId, epoch, job.recoveryOpen)
writer.add('chunk_recreated', 'chunk_index', name, 'reason', reason)
redis.call('HSET', chunksKey, name .. ':bytes', bytes, name .. ':sha256', sha256)
local recreated = job.recoveryRecreatedChunks
if job.recoveryOpen then
  recreated = recreated + 1
end
write_state(stateKey, job, {
  'recoveryRecreatedChunks', int(recreated), 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq), 'updatedAtMs', int(nowMs),
})
return { CODE_APPLIED }
