--[[
quarantine-job: fails a job whose stored state is corrupt, whoever holds it, with reason
state_corrupt, under a new epoch that fences every other writer out. Specification: quarantine()
in src/core/operations.ts. Unlike every other script it does not decode the job: it must work on
fields that cannot be read. The epoch is the stored one + 1, or the last event's + 1 when the
stored one is unreadable; the seq continues the event stream (its last entry + 1), which equals
nextSeq whenever the state is consistent.

KEYS[1] state   hash    the job's fields
KEYS[2] chunks  hash    the job's chunks (expired with the job)
KEYS[3] events  stream  the job's outbox (expired with the job)
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
local jobId = ARGV[1]
local workerId = ARGV[2]
local requestId = ARGV[3]
local retentionMs = ARGV[5]
local message = ARGV[6]

--- @include "common"

local hash = read_hash(stateKey)
if hash == nil then
  return { CODE_NOT_FOUND }
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

local writer = event_writer(eventsKey, jobId, lastSeq + 1, nowMs, workerId, epoch, open)
writer.add('job_failed', 'reason', 'state_corrupt', 'message', message)
if open and attempts ~= nil and attempts >= 1 then
  writer.add('recovery_failed', 'recovery_result', 'job_failed', 'attempt', int(attempts), 'reason', 'state_corrupt', 'message', message)
end
redis.call('HSET', stateKey,
  'phase', 'failed', 'epoch', int(epoch), 'owner', workerId, 'leaseExpiresAtMs', '0', 'failureReason', 'state_corrupt',
  'failureMessage', message, 'recoveryOpen', '0', 'lastRequestId', requestId, 'nextSeq', int(writer.next_seq),
  'updatedAtMs', int(nowMs), 'revision', int((parse_int(hash.revision) or 0) + 1))
expire_all({ stateKey, chunksKey, eventsKey }, retentionMs)
return { CODE_APPLIED }
