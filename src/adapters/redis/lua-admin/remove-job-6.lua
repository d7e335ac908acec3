--[[
remove-job: deletes every key of a job, unless its lease is valid and the caller did not force it.
Decodes nothing but the lease fields, so that it removes a job with corrupt state too.

KEYS[1..3] state, chunks, events      the job's keys
KEYS[4..6] the same with :wrongtype   where a quarantine moved keys of the wrong type
ARGV[1] nowMs  integer, ms; '' reads the server clock (TIME)
ARGV[2] force  '1' removes a leased job too

Returns (first element is the code):
   0 APPLIED
  -1 NOT_FOUND                   no key of the job exists
  -7 NOT_CLAIMABLE, owner, leaseExpiresAtMs   the lease is valid: nothing deleted
Cluster: touches KEYS only (one slot); the caller removes the job from the recoverable index.
]]

local force = ARGV[2] == '1'

--- @include "common"

if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]) == 0 then
  return { CODE_NOT_FOUND }
end
local keyType = redis.call('TYPE', KEYS[1])
if type(keyType) == 'table' then
  keyType = keyType.ok
end
if not force and keyType == 'hash' then
  local hash = read_hash(KEYS[1]) or {}
  local lease = parse_int(hash.leaseExpiresAtMs)
  if hash.owner ~= nil and lease ~= nil and lease > now_ms(ARGV[1]) and not is_terminal(hash.phase) then
    return { CODE_NOT_CLAIMABLE, hash.owner, int(lease) }
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return { CODE_APPLIED }
