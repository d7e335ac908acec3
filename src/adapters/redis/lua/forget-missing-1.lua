--[[
forget-missing: removes a job id from the recoverable index, but only if its score is still the
"missing since" mark the caller read. A create of that job in the meantime sets the score to 0
(see RedisJobStore.createJob), so a job created after the caller saw it missing keeps its entry.

KEYS[1] index  zset  the recoverable index (job ids scored by lease expiry, ms)
ARGV[1] jobId  string
ARGV[2] mark   number, the score the caller read (negative: missing since -mark - 1 ms)

Returns (first element is the code):
   0 APPLIED              removed
  -9 CONFLICT             the score changed (or the id is gone): nothing removed
Events: none.
Cluster: touches KEYS only (one slot): the index's.
]]

local indexKey = KEYS[1]
local jobId = ARGV[1]
local mark = tonumber(ARGV[2])

--- @include "common"

local score = redis.call('ZSCORE', indexKey, jobId)
if not score or tonumber(score) ~= mark then
  return { CODE_CONFLICT }
end
redis.call('ZREM', indexKey, jobId)
return { CODE_APPLIED }
