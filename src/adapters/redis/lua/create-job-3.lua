--[[
create-job: creates a queued job, or recognises the same job created again.
Specification: create() in src/core/operations.ts.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (deleted: a job without state has no valid chunks)
KEYS[3] events  stream  the job's outbox (deleted: a job without state has no valid events)
ARGV[1] jobId          string
ARGV[2] source         string
ARGV[3] chunkLengthMs  integer, ms
ARGV[4] nowMs          integer, ms; '' reads the server clock (TIME)

Returns (first element is the code):
   0 APPLIED, nowMs       created
   1 DUPLICATE            the same job (source and chunk length) exists: nothing written
  -2 ALREADY_EXISTS       another job exists under this id: nothing written
Events: none.
Cluster: touches KEYS only (one slot). The caller adds the job to the recoverable index before
and after this script (ZADD NX, score 0): a hint the claim re-checks.
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local jobId = ARGV[1]
local source = ARGV[2]
local chunkLengthMs = ARGV[3]

--- @include "common"

local existing = read_hash(stateKey)
if existing ~= nil then
  if existing.source == source and existing.chunkLengthMs == chunkLengthMs then
    return { CODE_DUPLICATE }
  end
  return { CODE_ALREADY_EXISTS }
end

local nowMs = now_ms(ARGV[4])
redis.call('DEL', chunksKey, eventsKey)
redis.call('HSET', stateKey,
  'id', jobId, 'source', source, 'chunkLengthMs', chunkLengthMs, 'phase', 'queued', 'epoch', '0',
  'leaseExpiresAtMs', '0', 'recoveryAttempts', '0', 'recoveryHandovers', '0', 'recoveryOpen', '0', 'recoveryStartedAtMs', '0',
  'recoveryResumed', '0', 'recoveryRecreatedChunks', '0', 'nextSeq', '1', 'createdAtMs', int(nowMs),
  'updatedAtMs', int(nowMs), 'chunkCount', '0', 'committedCount', '0', 'transcriptChars', '0', 'revision', '1')
return { CODE_APPLIED, int(nowMs) }
