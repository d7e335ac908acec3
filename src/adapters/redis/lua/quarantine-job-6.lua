--[[
quarantine-job: fails a job whose stored state is corrupt, whoever holds it, with reason
state_corrupt, under a new epoch that fences every other writer out. Specification: quarantine()
in src/core/operations.ts. Unlike every other script it does not decode the job: it must work on
fields that cannot be read. The epoch is the stored one + 1, or the last event's + 1 when the
stored one is unreadable; the seq continues the event stream (its last entry + 1), which equals
nextSeq whenever the state is consistent.

A key of the wrong type (which no other script can read or write) is first renamed aside, to the
matching KEYS[4..6] in the same slot, kept for inspection and expired with the job: a fresh hash
or stream takes its place. A state set aside is replaced by a whole failed state (source '?',
no chunks; its chunks go aside too), so the job still ends failed, readable, with a continuous
outbox; whether a recovery attempt was open is then read from the outbox, so that an open attempt
still ends with its recovery_failed. A chunks key set aside, or an absurd or unreadable chunk count, leaves the failed job
with no chunks the same way.

KEYS[1] state         hash    the job's fields
KEYS[2] chunks        hash    the job's chunks (expired with the job)
KEYS[3] events        stream  the job's outbox (expired with the job)
KEYS[4] stateAside    string  where a state key of the wrong type is moved (any type)
KEYS[5] chunksAside   string  where a chunks key of the wrong type is moved (any type)
KEYS[6] eventsAside   string  where an events key of the wrong type is moved (any type)
ARGV[1] jobId        string
ARGV[2] workerId     string, the quarantining worker (the job's new owner, without a lease)
ARGV[3] requestId    string
ARGV[4] nowMs        integer, ms; '' reads the server clock (TIME)
ARGV[5] retentionMs  integer, ms the job's keys live on
ARGV[6] message      string, already clipped to messageCharsMax characters

Returns (first element is the code):
   0 APPLIED
   1 DUPLICATE          this request was the last applied write: nothing written
  -1 NOT_FOUND
  -4 TERMINAL, phase    a terminal job is left as it is
Events (the new epoch; recovery = the stored recoveryOpen): job_failed (state_corrupt), and
recovery_failed (job_failed) when a recovery attempt is open.
Cluster: touches KEYS only (one slot). The caller removes the job from the recoverable index
afterwards (a hint).
]]

local stateKey = KEYS[1]
local chunksKey = KEYS[2]
local eventsKey = KEYS[3]
local stateAsideKey = KEYS[4]
local chunksAsideKey = KEYS[5]
local eventsAsideKey = KEYS[6]
local jobId = ARGV[1]
local workerId = ARGV[2]
local requestId = ARGV[3]
local retentionMs = ARGV[5]
local message = ARGV[6]

--- @include "common"

-- Renames `key` to `aside` when a read of its expected type (`probe`) fails on it (a key of
-- another type); true when it did. A probe, not TYPE: the mock reports its streams as lists.
local function set_aside(key, aside, probe)
  local reply = redis.pcall(probe, key)
  if type(reply) ~= 'table' or reply['err'] == nil then
    return false
  end
  redis.call('RENAME', key, aside)
  return true
end

-- The recovery attempt the outbox shows open: the latest recovery_started of the last 1000
-- events with no recovery_completed or recovery_failed after it. Returns open, attempt.
local function open_attempt(key)
  local entries = redis.call('XREVRANGE', key, '+', '-', 'COUNT', '1000')
  for position = 1, #entries do
    local fields = nested(entries[position], 2)
    local name = entry_field(fields, 'event')
    if name == 'recovery_completed' or name == 'recovery_failed' then
      return false, nil
    end
    if name == 'recovery_started' then
      local attempt = parse_int(entry_field(fields, 'attempt'))
      return attempt ~= nil, attempt
    end
  end
  return false, nil
end

local stateAside = set_aside(stateKey, stateAsideKey, 'HLEN')
local chunksAside = set_aside(chunksKey, chunksAsideKey, 'HLEN')
set_aside(eventsKey, eventsAsideKey, 'XLEN')

local hash
if stateAside then
  -- Chunks cannot be read without their state: they go aside too (unless already there).
  if redis.call('EXISTS', chunksKey) == 1 then
    redis.call('RENAME', chunksKey, chunksAsideKey)
  end
  -- A whole state to fail: the fields quarantine writes below complete it.
  hash = { id = jobId, phase = 'transcribing' }
  redis.call('HSET', stateKey, 'id', jobId, 'source', '?', 'chunkLengthMs', '1000', 'recoveryAttempts', '0',
    'recoveryHandovers', '0', 'recoveryOpen', '0',
    'recoveryStartedAtMs', '0', 'recoveryResumed', '0', 'recoveryRecreatedChunks', '0', 'createdAtMs', '0', 'chunkCount', '0',
    'committedCount', '0', 'transcriptChars', '0', 'revision', '0')
else
  hash = read_hash(stateKey)
end
if hash == nil then
  return { CODE_NOT_FOUND }
end
-- Chunks set aside, or an absurd or unreadable chunk count (chunksPerJobMax of src/core/limits.ts
-- is 10000) that they cannot be read against: the failed job keeps none.
local chunkCount = parse_int(hash.chunkCount)
if not stateAside and (chunksAside or chunkCount == nil or chunkCount > 10000) then
  if redis.call('EXISTS', chunksKey) == 1 then
    redis.call('RENAME', chunksKey, chunksAsideKey)
  end
  redis.call('HSET', stateKey, 'chunkCount', '0', 'committedCount', '0', 'transcriptChars', '0')
end
if hash.lastRequestId == requestId then
  return { CODE_DUPLICATE }
end
if is_terminal(hash.phase) then
  return { CODE_TERMINAL, hash.phase }
end

local nowMs = now_ms(ARGV[4])
local lastSeq, lastFields = last_event(eventsKey)
local epoch = parse_int(hash.epoch)
if epoch == nil then
  epoch = parse_int(entry_field(lastFields, 'epoch')) or 0
end
epoch = epoch + 1
local open = hash.recoveryOpen == '1'
local attempts = parse_int(hash.recoveryAttempts)
if stateAside then
  -- The state that said whether a recovery attempt is open is gone: the outbox says it instead.
  open, attempts = open_attempt(eventsKey)
end

local writer = event_writer(eventsKey, jobId, lastSeq + 1, nowMs, workerId, epoch, open)
writer.add('job_failed', 'reason', 'state_corrupt', 'message', message)
if open and attempts ~= nil and attempts >= 1 then
  writer.add('recovery_failed', 'recovery_result', 'job_failed', 'attempt', int(attempts), 'reason', 'state_corrupt', 'message', message)
end
redis.call('HSET', stateKey,
  'phase', 'failed', 'epoch', int(epoch), 'owner', workerId, 'leaseExpiresAtMs', '0', 'failureReason', 'state_corrupt',
  'failureMessage', message, 'recoveryOpen', '0', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq),
  'updatedAtMs', int(nowMs), 'revision', int((parse_int(hash.revision) or 0) + 1))
expire_all({ stateKey, chunksKey, eventsKey, stateAsideKey, chunksAsideKey, eventsAsideKey }, retentionMs)
return { CODE_APPLIED }
